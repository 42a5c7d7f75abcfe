import type { Result } from "../../subjects/index.js";
import { QueuedIterator, type MeshIterator } from "../structures/iterator.js";

/** What a stream reads: an append-only log of results, some of which may be withdrawn. */
export interface StreamSource {
  readonly log: readonly Result[];
  isDropped(r: Result): boolean;
}

/**
 * One consumer of an aggregation's results. It reads the aggregation's log through a cursor and
 * keeps at most `bufferSize` results queued in its iterator; the rest stay in the log (which the
 * aggregation bounds) and move up as the consumer pulls. A slow consumer therefore costs a cursor,
 * not a copy, and still sees every result once, in arrival order.
 */
export class ResultStream {
  readonly iterator: MeshIterator<Result>;
  readonly #q: QueuedIterator<Result>;
  readonly #src: StreamSource;
  readonly #bufferSize: number;
  #cursor = 0;
  #ending = false;

  constructor(src: StreamSource, bufferSize: number, onStop: (s: ResultStream) => void) {
    this.#src = src;
    this.#bufferSize = bufferSize;
    this.#q = new QueuedIterator<Result>({
      onPull: () => this.fill(),
      onStop: () => onStop(this),
    });
    this.iterator = this.#q;
  }

  /** Results in the log this consumer has not had queued yet. */
  get behind(): number {
    return this.#src.log.length - this.#cursor;
  }

  /** Moves results from the log into the iterator while its buffer has room. */
  fill(): void {
    const log = this.#src.log;
    const q = this.#q;
    while (this.#cursor < log.length && q.pending() < this.#bufferSize) {
      const r = log[this.#cursor++] as Result;
      if (!this.#src.isDropped(r)) q.push(r);
    }
    if (this.#ending && this.#cursor >= log.length) q.stop();
  }

  /** The aggregation ended: deliver what is left, then end; with an error, end now. */
  end(err?: Error): void {
    if (err) {
      this.#q.stop(err);
      return;
    }
    this.#ending = true;
    this.fill();
  }
}
