/** Where the demo writes: stdout, until the reader goes away. */
export interface DemoWriter {
  readonly isTTY: boolean;
  write(text: string): void;
}

/**
 * The demo's stdout. When the reader closes it (`collector-mesh demo | head -3`), the write fails
 * with EPIPE: instead of the process dying of an unhandled error with its nats-server still
 * running, further output is dropped and `onClosed` runs once, so the demo stops what it started.
 */
export class DemoOutput implements DemoWriter {
  readonly #stream: NodeJS.WriteStream;
  readonly #onError: (err: NodeJS.ErrnoException) => void;
  #closed = false;
  #listeners: (() => void)[] = [];

  constructor(stream: NodeJS.WriteStream = process.stdout) {
    this.#stream = stream;
    this.#onError = (err) => {
      if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED") throw err;
      if (this.#closed) return;
      this.#closed = true;
      for (const fn of this.#listeners.splice(0)) fn();
    };
    stream.on("error", this.#onError);
  }

  get isTTY(): boolean {
    return this.#stream.isTTY === true;
  }

  /** True once the reader has gone. */
  get closed(): boolean {
    return this.#closed;
  }

  write(text: string): void {
    if (this.#closed || this.#stream.destroyed) return;
    this.#stream.write(text);
  }

  onClosed(fn: () => void): void {
    if (this.#closed) fn();
    else this.#listeners.push(fn);
  }
}
