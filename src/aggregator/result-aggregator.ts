import {
  isToken,
  type AggregatedResult,
  type AggregationStatus,
  type InstanceOutcome,
  type Result,
} from "../../subjects/index.js";
import { defaultDeps, type Clock, type Deps } from "../clock.js";
import { IndexedHeap } from "../structures/heap.js";
import { InvalidArgumentError, MeshError, StoppedError } from "../errors.js";
import type { MeshIterator } from "../structures/iterator.js";
import { checkTimeout } from "../distributor/options.js";
import { Aggregation } from "./aggregation.js";
import { dedupKeyFn, parseAggregatorOptions } from "./options.js";
import { ResultStream, type StreamLimits, type StreamSource } from "./result-stream.js";
import { Coverage } from "./coverage.js";
import { FinishedResults } from "./finished.js";
import type {
  AggregationOptions,
  AggregationStats,
  AggregatorOptions,
  DedupKeyFn,
} from "./types.js";

const byDeadline = (a: Aggregation, b: Aggregation): boolean => a.deadline < b.deadline;

/**
 * Gathers results by correlation id: dedup, order (produced-at, collector id, seq), completion at
 * `expected` complete parts or `minResults` distinct results, `partial`/`timed_out` at the
 * deadline, async-iterable streams. Pure and synchronous: the clock is injected and the
 * coordinator's sweep timer calls `sweep()`.
 */
export class ResultAggregator {
  readonly options: Readonly<AggregatorOptions>;
  readonly #clock: Clock;
  readonly #keyOf: DedupKeyFn;
  readonly #active = new Map<string, Aggregation>();
  readonly #deadlines = new IndexedHeap<Aggregation>(byDeadline);
  /** Streams still reading a finished aggregation, by id: detached when it is dropped. */
  readonly #draining = new Map<string, Set<ResultStream>>();
  readonly #limits: StreamLimits;
  /** Finished aggregations, within completedRingSize, completedRingBytes and completedResults. */
  readonly #completed: FinishedResults;
  readonly #stats = {
    started: 0,
    completed: 0,
    partial: 0,
    timedOut: 0,
    failed: 0,
    resultsAggregated: 0,
    deduplicated: 0,
    late: 0,
    unknown: 0,
    overflow: 0,
    slowConsumers: 0,
  };
  #completedMsSum = 0;
  readonly #onAdded = new Set<(r: Result) => void>();

  constructor(opts: Partial<AggregatorOptions> = {}, deps: Partial<Deps> = {}) {
    this.options = Object.freeze(parseAggregatorOptions(opts));
    this.#clock = defaultDeps(deps).clock;
    this.#keyOf = dedupKeyFn(this.options.dedupKey);
    const { streamBufferSize: bufferSize, streamBufferBytes: budgetBytes } = this.options;
    this.#limits = { bufferSize, budgetBytes };
    const { completedRingSize: count, completedRingBytes: bytes, completedResults } = this.options;
    const limits = { count, bytes, results: completedResults };
    this.#completed = new FinishedResults(limits, (old) => this.#dropped(old));
  }

  /** Starts gathering results for `correlationId`; InvalidArgumentError if it is running. */
  startAggregation(correlationId: string, opts: AggregationOptions): void {
    if (!isToken(correlationId)) {
      throw new InvalidArgumentError("correlationId", "must be one subject token");
    }
    if (this.#active.has(correlationId)) {
      throw new InvalidArgumentError(
        "correlationId",
        `is already being aggregated: ${correlationId}`,
      );
    }
    const timeoutMs = checkTimeout("timeoutMs", opts.timeoutMs);
    optionalCount("expected", opts.expected, 1);
    optionalCount("minResults", opts.minResults, 1);
    const agg = new Aggregation(
      correlationId,
      this.#clock.now(),
      timeoutMs,
      opts.expected,
      opts.minResults,
    );
    if (opts.targets !== undefined || opts.notReached !== undefined) {
      agg.coverage = new Coverage(opts.targets ?? [], opts.notReached);
    }
    if (opts.retain === false) agg.retain = false;
    // A reused id starts afresh: its old result no longer answers getAggregation.
    const old = this.#completed.get(correlationId);
    if (old !== undefined) this.#completed.forget(old);
    this.#active.set(correlationId, agg);
    this.#deadlines.push(agg);
    this.#stats.started++;
  }

  /** True when `result` is one its running aggregation holds already (it would be a duplicate). */
  isDuplicate(result: Result): boolean {
    return this.#active.get(result.correlationId)?.has(result, this.#keyOf) ?? false;
  }

  /**
   * A fan-out's targets learnt after it started (a durable fan-out's stored plan): its result
   * lists them; results already held count, and every planned part counts as sent.
   */
  setCoverage(correlationId: string, targets: readonly string[], notReached: readonly string[]) {
    const agg = this.#active.get(correlationId);
    if (agg === undefined) return;
    const c = (agg.coverage = new Coverage(targets, notReached));
    for (const id of targets) c.sent(id);
    for (const r of agg.log) if (!agg.isDropped(r)) c.result(r);
  }

  /** A fan-out's part went out to `collectorId` (completeness tells sent from not reached). */
  sent(correlationId: string, collectorId: string): void {
    this.#active.get(correlationId)?.coverage?.sent(collectorId);
  }

  /** Sets how many parts complete the aggregation (after routing); returns it if that completes it. */
  setExpected(correlationId: string, expected: number): AggregatedResult | undefined {
    optionalCount("expected", expected, 0);
    const agg = this.#active.get(correlationId);
    if (agg === undefined) return undefined;
    agg.expected = expected;
    return agg.isComplete() ? this.#finish(agg, "complete") : undefined;
  }

  /**
   * Adds a result; returns the AggregatedResult when this result completes its aggregation.
   * Unknown, late, duplicate and overflowing results are counted and dropped, never thrown.
   */
  addResult(result: Result): AggregatedResult | undefined {
    const agg = this.#active.get(result.correlationId);
    if (agg === undefined) {
      if (this.#completed.has(result.correlationId)) this.#stats.late++;
      else this.#stats.unknown++;
      return undefined;
    }
    const { maxResultsPerAggregation: max, maxAggregationBytes: maxBytes } = this.options;
    switch (agg.offer(result, this.#keyOf, max, maxBytes)) {
      case "duplicate":
        this.#stats.deduplicated++;
        return undefined;
      case "late":
        this.#stats.late++;
        return undefined;
      case "overflow":
        this.#stats.overflow++;
        return undefined;
      case "added":
        break;
    }
    this.#stats.resultsAggregated++;
    agg.coverage?.result(result);
    for (const fn of this.#onAdded) fn(result);
    if (agg.streams !== undefined) for (const s of [...agg.streams]) s.fill(true);
    return agg.isComplete() ? this.#finish(agg, "complete") : undefined;
  }

  /**
   * The task was re-sent elsewhere: drop the part's non-final results and count later results
   * from this (collector, task) pair as late; with `attempt`, only those of attempts up to it.
   */
  abandonPart(correlationId: string, taskId: string, collectorId: string, attempt?: number): void {
    this.#active.get(correlationId)?.abandon(taskId, collectorId, attempt, this.#keyOf);
  }

  /** Calls `fn` with each distinct result as it is added (after dedup); returns the unsubscribe. */
  onResultAdded(fn: (r: Result) => void): () => void {
    this.#onAdded.add(fn);
    return () => this.#onAdded.delete(fn);
  }

  /**
   * Ends the aggregation now with `status` (a verdict decided elsewhere: a durable submission's
   * owner), carrying what arrived; `expected` as the verdict says.
   */
  end(
    correlationId: string,
    status: AggregationStatus,
    opts: { expected?: number; error?: MeshError; instances?: InstanceOutcome[] } = {},
  ): AggregatedResult | undefined {
    const agg = this.#active.get(correlationId);
    if (agg === undefined) return undefined;
    if (opts.expected !== undefined) agg.expected = opts.expected;
    if (opts.instances !== undefined) agg.instances = opts.instances;
    return this.#finish(agg, status, opts.error);
  }

  /** Ends the aggregation with status `failed` and the error, carrying what arrived. */
  fail(correlationId: string, error: MeshError): AggregatedResult | undefined {
    const agg = this.#active.get(correlationId);
    if (agg === undefined) return undefined;
    return this.#finish(agg, "failed", error);
  }

  /** Fails every running aggregation (on shutdown). */
  failAll(error: MeshError = new StoppedError("aggregator")): AggregatedResult[] {
    return [...this.#active.values()].map((agg) => this.#finish(agg, "failed", error));
  }

  /** Ends aggregations past their deadline: `partial` with what arrived, or `timed_out`. */
  sweep(): AggregatedResult[] {
    const now = this.#clock.now();
    const out: AggregatedResult[] = [];
    for (let agg = this.#deadlines.peek(); agg !== undefined && agg.deadline <= now;) {
      out.push(this.#finish(agg, agg.received > 0 ? "partial" : "timed_out"));
      agg = this.#deadlines.peek();
    }
    return out;
  }

  /** Resolves when the aggregation ends, whatever its status. */
  whenComplete(correlationId: string): Promise<AggregatedResult> {
    const agg = this.#active.get(correlationId);
    if (agg !== undefined) {
      if (agg.done === undefined) {
        let resolve!: (r: AggregatedResult) => void;
        const promise = new Promise<AggregatedResult>((r) => (resolve = r));
        agg.done = { promise, resolve };
      }
      return agg.done.promise;
    }
    const done = this.#completed.get(correlationId);
    if (done !== undefined) return Promise.resolve(done);
    return Promise.reject(unknownId(correlationId));
  }

  /**
   * Each distinct result as it arrives (arrival order), from the first; ends when the
   * aggregation ends (with the error when it failed). A finished aggregation still in the ring
   * replays its results in order. InvalidArgumentError for an unknown id.
   */
  stream(correlationId: string): MeshIterator<Result> {
    const agg = this.#active.get(correlationId);
    if (agg !== undefined) {
      const s = this.#newStream(agg, (agg.streams ??= new Set()));
      s.fill();
      return s.iterator;
    }
    const done = this.#completed.get(correlationId);
    if (done === undefined) throw unknownId(correlationId);
    const src: StreamSource = {
      correlationId,
      log: done.results,
      bytes: this.#completed.bytesOf(done),
      isDropped: () => false,
    };
    let readers = this.#draining.get(correlationId);
    if (readers === undefined) this.#draining.set(correlationId, (readers = new Set()));
    const s = this.#newStream(src, readers);
    const err = done.error ? new MeshError(done.error.code, done.error.message) : undefined;
    s.end(done.status === "failed" ? err : undefined);
    return s.iterator;
  }

  /** A stream of `src`, one of `readers` until it stops. */
  #newStream(src: StreamSource, readers: Set<ResultStream>): ResultStream {
    const id = src.correlationId;
    const s = new ResultStream(src, this.#limits, {
      onStop: (gone) => {
        readers.delete(gone);
        if (readers.size === 0 && this.#draining.get(id) === readers) this.#draining.delete(id);
      },
      onSlow: () => this.#stats.slowConsumers++,
    });
    readers.add(s);
    return s;
  }

  /** How far a running aggregation is: distinct results and complete parts so far. */
  getProgress(
    correlationId: string,
  ): { received: number; expected: number | undefined } | undefined {
    const agg = this.#active.get(correlationId);
    return agg === undefined ? undefined : { received: agg.received, expected: agg.expected };
  }

  /** A finished aggregation, while it is among the last `completedRingSize`. */
  getAggregation(correlationId: string): AggregatedResult | undefined {
    return this.#completed.get(correlationId);
  }

  isActive(correlationId: string): boolean {
    return this.#active.has(correlationId);
  }

  /** Aggregations running now. */
  size(): number {
    return this.#active.size;
  }

  stats(): AggregationStats {
    return {
      ...this.#stats,
      active: this.#active.size,
      retained: this.#completed.size,
      retainedBytes: this.#completed.bytes,
      averageAggregationMs:
        this.#stats.completed === 0 ? 0 : this.#completedMsSum / this.#stats.completed,
    };
  }

  #finish(agg: Aggregation, status: AggregationStatus, error?: MeshError): AggregatedResult {
    const now = this.#clock.now();
    const result = agg.result(
      status,
      now,
      error ? { code: error.code, message: error.message.slice(0, 1024) } : undefined,
    );
    this.#active.delete(agg.correlationId);
    this.#deadlines.remove(agg);
    switch (status) {
      case "complete":
        this.#stats.completed++;
        this.#completedMsSum += now - agg.startedAt;
        break;
      case "partial":
        this.#stats.partial++;
        break;
      case "timed_out":
        this.#stats.timedOut++;
        break;
      case "failed":
        this.#stats.failed++;
        break;
    }
    if (agg.streams !== undefined && agg.streams.size > 0) {
      // Readers still going read the finished result from now: detached when it is dropped.
      this.#draining.set(agg.correlationId, agg.streams);
      for (const s of [...agg.streams]) s.end(status === "failed" ? error : undefined);
    }
    if (agg.retain) this.#completed.remember(result, agg.heldBytes());
    else this.#completed.remember(endedOnly(result), 0);
    agg.done?.resolve(result);
    return result;
  }

  /** A finished result left: its readers keep only what they have not read (or end). */
  #dropped(old: AggregatedResult): void {
    const id = old.correlationId;
    const readers = this.#draining.get(id);
    if (readers === undefined) return;
    this.#draining.delete(id);
    for (const s of [...readers]) s.detach();
  }
}

function optionalCount(property: string, v: number | undefined, min: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min || v > 1_000_000) {
    throw new InvalidArgumentError(property, `must be an integer from ${min} to 1,000,000`);
  }
}

/** What is kept of a finished result that is held elsewhere: how it ended, not what it held. */
function endedOnly(r: AggregatedResult): AggregatedResult {
  const { instances: _instances, ...ended } = r;
  return { ...ended, results: [] };
}

function unknownId(correlationId: string): InvalidArgumentError {
  return new InvalidArgumentError("correlationId", `is not aggregated here: ${correlationId}`);
}
