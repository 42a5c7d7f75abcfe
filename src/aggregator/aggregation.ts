import type {
  InstanceOutcome,
  AggregatedResult,
  AggregationStatus,
  ErrorBody,
  Result,
} from "../../subjects/index.js";
import type { HeapItem } from "../structures/heap.js";
import type { ResultStream, StreamSource } from "./result-stream.js";
import { resultBytes } from "./size.js";
import type { Coverage } from "./coverage.js";

/** Results in order: produced-at, then collector id, then seq. */
export function compareResults(a: Result, b: Result): number {
  if (a.producedAt !== b.producedAt) return a.producedAt - b.producedAt;
  if (a.collectorId !== b.collectorId) return a.collectorId < b.collectorId ? -1 : 1;
  return a.seq - b.seq;
}

/** One (collector, task) stream of results. */
interface Part {
  complete: boolean;
  /** Results of attempts up to this one are ignored (-1: not abandoned). */
  abandonedThrough: number;
  /**
   * Its results held while it is not complete (what abandoning withdraws), so that abandoning
   * one part costs its own results, not a pass over the whole log. Dropped once it completes.
   */
  open: Result[] | undefined;
}

const NOT_ABANDONED = -1;

/** Ids are subject tokens, which hold no spaces: a space cannot make two part keys collide. */
function partKeyOf(collectorId: string, taskId: string): string {
  return `${collectorId} ${taskId}`;
}

/** What `offer` did with a result. */
export type Offer = "added" | "duplicate" | "late" | "overflow";

/**
 * The state of one correlation id: distinct results in arrival order (the log streams read),
 * the dedup keys seen, and each part's completion. Pure; the ResultAggregator owns lifecycles.
 */
export class Aggregation implements HeapItem, StreamSource {
  readonly correlationId: string;
  readonly startedAt: number;
  readonly deadline: number;
  expected: number | undefined;
  readonly minResults: number | undefined;
  heapIndex = -1;
  /** Distinct results in arrival order, append-only (streams hold cursors into it). */
  readonly log: Result[] = [];
  /** Bytes of the results in the log (size.ts), withdrawn ones included: the log holds them. */
  bytes = 0;
  duplicates = 0;
  /** Its readers (made with the first). */
  streams: Set<ResultStream> | undefined;
  /** A fan-out: who it targeted and how each did. */
  coverage: Coverage | undefined;
  /** How each instance did, as a verdict decided elsewhere says (over `coverage`). */
  instances: InstanceOutcome[] | undefined;
  /** Whether its finished result is kept whole (AggregationOptions.retain). */
  retain = true;
  /** `whenComplete`'s promise, made on first ask. */
  done: { promise: Promise<AggregatedResult>; resolve: (r: AggregatedResult) => void } | undefined;
  /**
   * The dedup keys seen and the parts by `collectorId taskId`, made when a second result or an
   * abandon comes: until then the one result is held below, so that a one-part submission (the
   * common case) builds no key, set or map.
   */
  #seen: Set<string> | undefined;
  #parts: Map<string, Part> | undefined;
  #first: Result | undefined;
  #firstPart: Part | undefined;
  #completeParts = 0;
  #dropped: Set<Result> | undefined;
  #inOrder = true;

  constructor(
    correlationId: string,
    startedAt: number,
    timeoutMs: number,
    expected: number | undefined,
    minResults: number | undefined,
  ) {
    this.correlationId = correlationId;
    this.startedAt = startedAt;
    this.deadline = startedAt + timeoutMs;
    this.expected = expected;
    this.minResults = minResults;
  }

  /** True when a result with the same dedup key as `r` was added already. */
  has(r: Result, keyOf: (r: Result) => string): boolean {
    if (this.#seen !== undefined) return this.#seen.has(keyOf(r));
    return this.#first !== undefined && keyOf(this.#first) === keyOf(r);
  }

  /** The keys and parts as a set and a map, the first result's among them. */
  #index(keyOf: (r: Result) => string): { seen: Set<string>; parts: Map<string, Part> } {
    if (this.#seen === undefined || this.#parts === undefined) {
      this.#seen = new Set();
      this.#parts = new Map();
      const first = this.#first;
      if (first !== undefined && this.#firstPart !== undefined) {
        this.#seen.add(keyOf(first));
        this.#parts.set(partKeyOf(first.collectorId, first.taskId), this.#firstPart);
      }
      this.#first = undefined;
      this.#firstPart = undefined;
    }
    return { seen: this.#seen, parts: this.#parts };
  }

  /** Bytes of the results `result()` hands out, when known without a pass (none withdrawn). */
  heldBytes(): number | undefined {
    return this.#dropped === undefined || this.#dropped.size === 0 ? this.bytes : undefined;
  }

  /** Distinct results held (withdrawn ones excluded). */
  get received(): number {
    return this.log.length - (this.#dropped?.size ?? 0);
  }

  isDropped(r: Result): boolean {
    return this.#dropped !== undefined && this.#dropped.has(r);
  }

  /** Adds `r` unless it is a duplicate, from an abandoned part, or past `max` results or bytes. */
  offer(r: Result, keyOf: (r: Result) => string, max: number, maxBytes: number): Offer {
    if (this.#seen === undefined && this.#first === undefined) return this.#offerFirst(r, maxBytes);
    const { seen, parts } = this.#index(keyOf);
    const key = keyOf(r);
    const partKey = partKeyOf(r.collectorId, r.taskId);
    let part = parts.get(partKey);
    if (part !== undefined && part.abandonedThrough !== NOT_ABANDONED) {
      // Attempts up to the abandoned one stay late for good, even once a later attempt on the
      // same collector has started delivering: its results and theirs must not mix.
      if (r.attempt === undefined || r.attempt <= part.abandonedThrough) return "late";
    }
    if (seen.has(key)) {
      this.duplicates++;
      return "duplicate";
    }
    const size = resultBytes(r);
    if (this.received >= max || this.bytes + size > maxBytes) return "overflow";
    if (part === undefined) {
      part = { complete: false, abandonedThrough: NOT_ABANDONED, open: undefined };
      parts.set(partKey, part);
    }
    seen.add(key);
    const last = this.log[this.log.length - 1];
    if (last !== undefined && this.#inOrder && compareResults(last, r) > 0) this.#inOrder = false;
    this.#append(r, part, size);
    return "added";
  }

  /** The first result, with nothing abandoned: nothing to compare it with yet. */
  #offerFirst(r: Result, maxBytes: number): Offer {
    const size = resultBytes(r);
    if (size > maxBytes) return "overflow";
    const part: Part = { complete: false, abandonedThrough: NOT_ABANDONED, open: undefined };
    this.#first = r;
    this.#firstPart = part;
    this.#append(r, part, size);
    return "added";
  }

  #append(r: Result, part: Part, size: number): void {
    this.log.push(r);
    this.bytes += size;
    if (r.final && !part.complete) {
      part.complete = true;
      part.open = undefined;
      this.#completeParts++;
    } else if (!part.complete) {
      (part.open ??= []).push(r);
    }
  }

  /**
   * The task was re-sent elsewhere: withdraw the part's non-final results and ignore its later
   * ones (of attempts up to `attempt`, or all). A part that already completed is left alone.
   */
  abandon(
    taskId: string,
    collectorId: string,
    attempt: number | undefined,
    keyOf: (r: Result) => string,
  ): void {
    const { seen, parts } = this.#index(keyOf);
    const partKey = partKeyOf(collectorId, taskId);
    const part = parts.get(partKey);
    if (part?.complete) return;
    const through = attempt ?? Number.MAX_SAFE_INTEGER;
    if (part === undefined) {
      parts.set(partKey, { complete: false, abandonedThrough: through, open: undefined });
      return;
    }
    part.abandonedThrough = through;
    const open = part.open;
    part.open = undefined;
    for (const r of open ?? []) {
      if (this.isDropped(r)) continue;
      (this.#dropped ??= new Set()).add(r);
      seen.delete(keyOf(r));
    }
  }

  isComplete(): boolean {
    if (this.expected !== undefined) return this.#completeParts >= this.expected;
    if (this.minResults !== undefined) return this.received >= this.minResults;
    return false;
  }

  /** The AggregatedResult: held results in order (the log is never reordered in place). */
  result(status: AggregationStatus, now: number, error?: ErrorBody): AggregatedResult {
    let results: Result[] = this.#dropped ? this.log.filter((r) => !this.isDropped(r)) : this.log;
    if (!this.#inOrder)
      results = (results === this.log ? results.slice() : results).sort(compareResults);
    const out: AggregatedResult = {
      correlationId: this.correlationId,
      status,
      results,
      expected: this.expected ?? this.minResults ?? 0,
      received: results.length,
      duplicates: this.duplicates,
      startedAt: this.startedAt,
      completedAt: now,
    };
    if (error !== undefined) out.error = error;
    const instances = this.instances ?? this.coverage?.outcomes();
    if (instances !== undefined) out.instances = instances;
    return out;
  }
}
