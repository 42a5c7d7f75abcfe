import type { Msg } from "@nats-io/nats-core";
import type { Result } from "../../subjects/index.js";
import type { InvalidMessageError, MeshError } from "../errors.js";

/** Names a result for deduplication: equal keys are the same result. */
export type DedupKeyFn = (r: Result) => string;

/**
 * Built-in dedup keys: `collector-task-seq` (default) also takes the attempt when `-attempt`;
 * `task-seq` counts a part's result once whichever instance sent it (a durable submitter's view:
 * a part that ran twice across a takeover is one part).
 */
export const DEDUP_KEYS = ["collector-task-seq", "collector-task-seq-attempt", "task-seq"] as const;
export type DedupKey = (typeof DEDUP_KEYS)[number];

export interface AggregatorOptions {
  /** How results are told apart (default `collector-task-seq`). */
  dedupKey: DedupKey | DedupKeyFn;
  /** Finished aggregations kept for `getAggregation` and late counting (default 1000). */
  completedRingSize: number;
  /**
   * Bytes of finished results kept (about their encoded size, see size.ts): past it the oldest
   * finished aggregations are dropped first (default 64 MiB). A stream still reading one that is
   * dropped keeps only what it has not read, within streamBufferBytes.
   */
  completedRingBytes: number;
  /**
   * Results those finished aggregations may hold together (default 20,000); the oldest go first
   * past it. The latest finished aggregation is kept whatever its size.
   */
  completedResults: number;
  /** Results queued in each stream consumer; the rest wait for its pulls (default 1024). */
  streamBufferSize: number;
  /**
   * Bytes of results a stream reader may leave unread: a reader further behind, as results
   * arrive or when the finished results it reads are dropped, ends with SlowConsumerError
   * (default 64 MiB).
   */
  streamBufferBytes: number;
  /** Most distinct results one aggregation holds; more are counted as overflow (default 100,000). */
  maxResultsPerAggregation: number;
  /** Most bytes of results one aggregation holds; more are counted as overflow (default 256 MiB). */
  maxAggregationBytes: number;
}

export interface AggregationOptions {
  /** Complete when this many parts (collector × task streams) reached their final result. */
  expected?: number;
  /** Without `expected`: complete at this many distinct results. */
  minResults?: number;
  /** Ends the aggregation `partial` (or `timed_out`) this long after it started. */
  timeoutMs: number;
  /** A fan-out's instances: the result then lists how each did (`instances`). */
  targets?: readonly string[];
  /** Instances it was meant for that were not there to send to (named, but unknown or unroutable). */
  notReached?: readonly string[];
  /**
   * Keep the finished result's results and instances for `getAggregation`, `whenComplete` and
   * replays (default true). False keeps only how it ended (status and counts, for late results):
   * for a run whose result is held elsewhere once it ends (a durable run, whose verdict is
   * stored; a client that has handed its result to the caller).
   */
  retain?: boolean;
}

export interface AggregationStats {
  started: number;
  /** Running now. */
  active: number;
  completed: number;
  partial: number;
  timedOut: number;
  failed: number;
  /** Distinct results added to aggregations. */
  resultsAggregated: number;
  deduplicated: number;
  /** Results for a finished aggregation or an abandoned part. */
  late: number;
  /** Results for a correlation id never seen (or long forgotten). */
  unknown: number;
  /** Results past `maxResultsPerAggregation` or `maxAggregationBytes`. */
  overflow: number;
  /** Finished aggregations kept now, and their bytes (bounded by completedRingSize and -Bytes). */
  retained: number;
  retainedBytes: number;
  /** Stream readers ended with SlowConsumerError. */
  slowConsumers: number;
  /** Mean start-to-completion time of the aggregations that completed. */
  averageAggregationMs: number;
}

export interface ResultInboxOptions {
  /** Subject prefix (default `daemoneye`). */
  prefix?: string;
  /** This coordinator's id: the inbox is `<p>.result.<coordinatorId>.>`. */
  coordinatorId: string;
  /** A decoded Result; `attempt` is the subject's attempt token (undefined when it has none). */
  onResult(result: Result, attempt: number | undefined, msg: Msg): void;
  /**
   * Whether an answer on this task's subject could be taken now (an attempt in flight with this
   * token): false drops a result there before it is read, so one nobody waits for costs its
   * subject's parse and no more (the caller counts it). Default: every result is read.
   */
  expects?(taskId: string, attempt: number | undefined): boolean;
  /** A collector says the attempt is still running (an empty `Mesh-Progress` message). */
  onProgress?(taskId: string, attempt: number | undefined): void;
  /** The task's direct subject had no subscriber: the instance is gone. */
  onNoResponders(taskId: string, attempt: number | undefined): void;
  /** The collector answered with a typed error instead of a result. */
  onErrorReply(taskId: string, attempt: number | undefined, err: MeshError): void;
  /** A message that is not a Result (counted, changes nothing). */
  onInvalid?(err: InvalidMessageError, msg: Msg): void;
  /** A callback above threw, or the subscription reported an error. */
  onError?(err: unknown): void;
}

export interface ResultInboxStats {
  received: number;
  results: number;
  noResponders: number;
  errorReplies: number;
  invalid: number;
  /** Callbacks that threw and subscription errors. */
  errors: number;
  /** Progress messages of running attempts. */
  progress: number;
  /** Results dropped unread: on the subject of no attempt in flight (`expects`). */
  unexpected: number;
}
