/**
 * One shape for every stream (aggregator results, router events): an AsyncIterable with stop(),
 * closed and pending(). `break` stops it; `stop(err)` throws err into the loop at the next pull,
 * as nats.js's QueuedIterator does.
 */
export interface MeshIterator<T> extends AsyncIterable<T> {
  /** Ends the stream; with an error, the consumer's loop throws it. */
  stop(err?: Error): void;
  /** Resolves when the stream has ended: void, or the error it ended with. */
  readonly closed: Promise<void | Error>;
  /** Values buffered and not yet read. */
  pending(): number;
}

export interface QueueOptions<T = unknown> {
  /** Called with each value the consumer takes, so a producer can refill (pull-driven delivery). */
  onPull?: (taken: T) => void;
  /** Called once when the consumer stops (break, return, stop()). */
  onStop?: (err?: Error) => void;
}

/**
 * A MeshIterator fed by push(). Values pushed after stop are ignored. When stopped without an
 * error, buffered values are still delivered before the loop ends; with an error, the error is
 * thrown at the next pull.
 */
export class QueuedIterator<T> implements MeshIterator<T> {
  readonly closed: Promise<void | Error>;
  #buf: T[] = [];
  #head = 0;
  #done = false;
  #err: Error | undefined;
  #wake: (() => void) | undefined;
  #resolveClosed!: (v: void | Error) => void;
  readonly #opts: QueueOptions<T>;
  #stoppedNotified = false;

  constructor(opts: QueueOptions<T> = {}) {
    this.#opts = opts;
    this.closed = new Promise((r) => (this.#resolveClosed = r));
  }

  push(v: T): void {
    if (this.#done) return;
    this.#buf.push(v);
    this.#signal();
  }

  pending(): number {
    return this.#buf.length - this.#head;
  }

  get done(): boolean {
    return this.#done;
  }

  stop(err?: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#err = err;
    if (err) {
      this.#buf = [];
      this.#head = 0;
    }
    this.#notifyStop(err);
    this.#signal();
  }

  #notifyStop(err?: Error): void {
    if (this.#stoppedNotified) return;
    this.#stoppedNotified = true;
    this.#opts.onStop?.(err);
  }

  #signal(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        if (this.#head < this.#buf.length) {
          const v = this.#buf[this.#head] as T;
          this.#head++;
          if (this.#head > 1024 && this.#head * 2 > this.#buf.length) {
            this.#buf = this.#buf.slice(this.#head);
            this.#head = 0;
          }
          this.#opts.onPull?.(v);
          yield v;
          continue;
        }
        if (this.#done) {
          if (this.#err) throw this.#err;
          return;
        }
        await new Promise<void>((r) => (this.#wake = r));
      }
    } finally {
      const wasDone = this.#done;
      this.#done = true;
      if (!wasDone) this.#notifyStop();
      this.#resolveClosed(this.#err ?? undefined);
    }
  }
}
