import type { AggregatedResult } from "../../subjects/index.js";
import { resultBytes } from "./size.js";

/** A finished result kept, and the bytes counted for it. */
interface Kept {
  readonly result: AggregatedResult;
  readonly bytes: number;
}

/** How much the finished results kept may hold together. */
export interface FinishedLimits {
  /** Finished aggregations (completedRingSize). */
  readonly count: number;
  /** Bytes of their results (completedRingBytes). */
  readonly bytes: number;
  /** Their results (completedResults). */
  readonly results: number;
}

/**
 * The finished aggregations kept for `getAggregation`, late counting and readers still going:
 * the oldest go first past any of the limits, and the latest is kept whatever its size (it is
 * bounded by maxResultsPerAggregation and maxAggregationBytes already).
 */
export class FinishedResults {
  readonly #limits: FinishedLimits;
  readonly #dropped: (old: AggregatedResult) => void;
  readonly #byId = new Map<string, Kept>();
  /**
   * In finishing order, oldest at #head, to drop the oldest in O(1). (Taking the first key of the
   * Map instead scans the holes its deletions leave at the front: about 0.4 µs per finish with
   * 1,000 held, in the benchmark profile.) An entry whose id was reused since is skipped.
   */
  #order: (AggregatedResult | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  #results = 0;

  /** `dropped` hears of each result that leaves (its readers keep only what they have not read). */
  constructor(limits: FinishedLimits, dropped: (old: AggregatedResult) => void) {
    this.#limits = limits;
    this.#dropped = dropped;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Bytes of the results kept (size.ts). */
  get bytes(): number {
    return this.#bytes;
  }

  get(correlationId: string): AggregatedResult | undefined {
    return this.#byId.get(correlationId)?.result;
  }

  has(correlationId: string): boolean {
    return this.#byId.has(correlationId);
  }

  bytesOf(r: AggregatedResult): number {
    const k = this.#byId.get(r.correlationId);
    return k !== undefined && k.result === r ? k.bytes : 0;
  }

  /**
   * Keeps `result`; drops the oldest while past a limit. `known`: the bytes of its results
   * (size.ts) when the caller has counted them already.
   */
  remember(result: AggregatedResult, known?: number): void {
    const { count, bytes: maxBytes, results: maxResults } = this.#limits;
    let bytes = known ?? 0;
    if (known === undefined) for (const r of result.results) bytes += resultBytes(r);
    this.#byId.set(result.correlationId, { result, bytes });
    this.#bytes += bytes;
    this.#results += result.results.length;
    this.#order.push(result);
    while (
      (this.#byId.size > count || this.#bytes > maxBytes || this.#results > maxResults) &&
      this.#byId.size > 1 &&
      this.#head < this.#order.length
    ) {
      const old = this.#order[this.#head];
      this.#order[this.#head++] = undefined;
      if (old !== undefined && this.#byId.get(old.correlationId)?.result === old) this.forget(old);
    }
    if (this.#head >= count || this.#order.length > 2 * count + this.#head) {
      this.#order = this.#order
        .slice(this.#head)
        .filter((r) => r !== undefined && this.#byId.get(r.correlationId)?.result === r);
      this.#head = 0;
    }
  }

  /** Drops `old` (dropped by the limits, or its id reused). */
  forget(old: AggregatedResult): void {
    const k = this.#byId.get(old.correlationId);
    if (k === undefined || k.result !== old) return;
    this.#byId.delete(old.correlationId);
    this.#bytes -= k.bytes;
    this.#results -= old.results.length;
    this.#dropped(old);
  }
}
