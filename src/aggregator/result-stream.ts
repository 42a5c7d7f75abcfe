import type { Result } from "../../subjects/index.js";
import { SlowConsumerError } from "../errors.js";
import { QueuedIterator, type MeshIterator } from "../structures/iterator.js";
import { resultBytes } from "./size.js";

/** What a stream reads: an append-only log of results, some of which may be withdrawn. */
export interface StreamSource {
  readonly correlationId: string;
  readonly log: readonly Result[];
  /** Bytes of every result in the log (size.ts). */
  readonly bytes: number;
  isDropped(r: Result): boolean;
}

/** A stream's bounds: results queued in its iterator, and bytes its reader may leave unread. */
export interface StreamLimits {
  bufferSize: number;
  budgetBytes: number;
}

/**
 * One consumer of an aggregation's results. It reads the aggregation's log through a cursor and
 * keeps at most `bufferSize` results queued in its iterator; the rest stay in the log (which the
 * aggregation bounds) and move up as the consumer pulls. A slow consumer therefore costs a cursor,
 * not a copy, and still sees every result once, in arrival order.
 *
 * Its reader may leave at most `budgetBytes` unread, and its queue holds no more than that (one
 * result at least). Past the budget, as results arrive, it ends with
 * SlowConsumerError. When the aggregator drops the finished results it reads (`detach`), it
 * keeps only the results it has not read yet, within the same budget, so a stream never holds
 * more than that beyond what the aggregator retains.
 */
export class ResultStream {
  readonly iterator: MeshIterator<Result>;
  readonly #q: QueuedIterator<Result>;
  #src: StreamSource;
  readonly #limits: StreamLimits;
  #cursor = 0;
  /** Bytes of the log before the cursor, and of the results queued but not taken. */
  #cursorBytes = 0;
  #queuedBytes = 0;
  #ending = false;
  #onSlow: () => void;

  constructor(
    src: StreamSource,
    limits: StreamLimits,
    hooks: { onStop: (s: ResultStream) => void; onSlow: () => void },
  ) {
    this.#src = src;
    this.#limits = limits;
    this.#onSlow = hooks.onSlow;
    this.#q = new QueuedIterator<Result>({
      onPull: (r) => {
        this.#queuedBytes -= resultBytes(r);
        this.fill();
      },
      onStop: () => hooks.onStop(this),
    });
    this.iterator = this.#q;
  }

  /** Results in the log this consumer has not had queued yet. */
  get behind(): number {
    return this.#src.log.length - this.#cursor;
  }

  /** Bytes of results its reader has not taken (queued, or still in the log). */
  get unreadBytes(): number {
    return this.#src.bytes - this.#cursorBytes + this.#queuedBytes;
  }

  /**
   * Moves results from the log into the iterator while its buffer has room. `arrived`: a result
   * was just added, so the reader's lag is checked against its budget.
   */
  fill(arrived = false): void {
    const log = this.#src.log;
    const q = this.#q;
    if (q.done) return;
    if (arrived && this.unreadBytes > this.#limits.budgetBytes) {
      this.#slow("results arrived faster than it read them");
      return;
    }
    const { bufferSize, budgetBytes } = this.#limits;
    // Queued results are held for the reader: at most bufferSize of them, and (past the first)
    // at most budgetBytes, so what a stream holds stays within its budget.
    while (
      this.#cursor < log.length &&
      q.pending() < bufferSize &&
      (q.pending() === 0 || this.#queuedBytes < budgetBytes)
    ) {
      const r = log[this.#cursor++] as Result;
      const size = resultBytes(r);
      this.#cursorBytes += size;
      if (this.#src.isDropped(r)) continue;
      this.#queuedBytes += size;
      q.push(r);
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

  /**
   * The aggregator dropped the finished results this stream reads: keep only those not read
   * yet (then the rest can be collected), or end with SlowConsumerError past the budget.
   */
  detach(): void {
    if (this.#q.done) return;
    if (this.unreadBytes > this.#limits.budgetBytes) {
      this.#slow("the finished results it had not read were dropped");
      return;
    }
    const src = this.#src;
    const rest = src.log.slice(this.#cursor).filter((r) => !src.isDropped(r));
    let bytes = 0;
    for (const r of rest) bytes += resultBytes(r);
    this.#src = { correlationId: src.correlationId, log: rest, bytes, isDropped: () => false };
    this.#cursor = 0;
    this.#cursorBytes = 0;
  }

  #slow(why: string): void {
    const unread = this.unreadBytes;
    this.#onSlow();
    this.#q.stop(
      new SlowConsumerError(this.#src.correlationId, unread, this.#limits.budgetBytes, why),
    );
  }
}
