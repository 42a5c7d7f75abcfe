import { MAX_RESULTS_PER_REPLY } from "../../subjects/index.js";
import { InvalidArgumentError } from "../errors.js";
import { mergeOptions } from "../options.js";
import { DEDUP_KEYS, type AggregatorOptions, type DedupKey, type DedupKeyFn } from "./types.js";

export const DEFAULT_COMPLETED_RING_SIZE = 1000;
/** Bytes of finished results kept; the oldest finished go first (64 MiB). */
export const DEFAULT_COMPLETED_RING_BYTES = 64 * 1024 * 1024;
/**
 * Results held in all finished aggregations together: a thousand `one` results (the ring's
 * count), or two fan-outs to ten thousand instances. A small result costs about 1.4 KB held (the
 * object, its ids, and the received message its payload is read from): 20,000 are about 28 MB.
 */
export const DEFAULT_COMPLETED_RESULTS = 20_000;
export const DEFAULT_STREAM_BUFFER_SIZE = 1024;
/** Bytes of results a stream reader may have left unread (64 MiB). */
export const DEFAULT_STREAM_BUFFER_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_RESULTS_PER_AGGREGATION = MAX_RESULTS_PER_REPLY;
/** Bytes of results one aggregation holds; more are counted as overflow (256 MiB). */
export const DEFAULT_MAX_AGGREGATION_BYTES = 256 * 1024 * 1024;

export function defaultAggregatorOptions(): AggregatorOptions {
  return {
    dedupKey: "collector-task-seq",
    completedRingSize: DEFAULT_COMPLETED_RING_SIZE,
    completedRingBytes: DEFAULT_COMPLETED_RING_BYTES,
    completedResults: DEFAULT_COMPLETED_RESULTS,
    streamBufferSize: DEFAULT_STREAM_BUFFER_SIZE,
    streamBufferBytes: DEFAULT_STREAM_BUFFER_BYTES,
    maxResultsPerAggregation: DEFAULT_MAX_RESULTS_PER_AGGREGATION,
    maxAggregationBytes: DEFAULT_MAX_AGGREGATION_BYTES,
  };
}

/** Merges `partial` over the defaults and validates once. */
export function parseAggregatorOptions(
  partial: Partial<AggregatorOptions> = {},
): AggregatorOptions {
  const o = mergeOptions("aggregator", defaultAggregatorOptions(), partial, "numbers");
  if (typeof o.dedupKey !== "function" && !DEDUP_KEYS.includes(o.dedupKey)) {
    throw new InvalidArgumentError(
      "dedupKey",
      `must be a function or one of ${DEDUP_KEYS.join(", ")}`,
    );
  }
  if (o.maxResultsPerAggregation > MAX_RESULTS_PER_REPLY) {
    throw new InvalidArgumentError(
      "maxResultsPerAggregation",
      `must be at most ${MAX_RESULTS_PER_REPLY} (an AggregatedResult carries no more)`,
    );
  }
  return o;
}

/** The dedup key function an option names. */
export function dedupKeyFn(key: DedupKey | DedupKeyFn): DedupKeyFn {
  if (typeof key === "function") return key;
  // Ids are subject tokens, which hold no spaces: a space cannot make two keys collide.
  if (key === "task-seq") return (r) => `${r.taskId} ${r.seq}`;
  return key === "collector-task-seq-attempt"
    ? (r) => `${r.collectorId} ${r.taskId} ${r.seq} ${r.attempt ?? ""}`
    : (r) => `${r.collectorId} ${r.taskId} ${r.seq}`;
}
