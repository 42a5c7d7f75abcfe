import { MAX_RESULTS_PER_REPLY } from "../../subjects/index.js";
import { InvalidArgumentError } from "../errors.js";
import { positiveInt, rejectUnknownKeys, stripUndefined } from "../options.js";
import { DedupKey, type AggregatorOptions, type DedupKeyFn } from "./types.js";

export const DEFAULT_COMPLETED_RING_SIZE = 1000;
/**
 * Results held in all finished aggregations together: a thousand `one` results, or a few
 * fan-outs to ten thousand instances (about 30 MB), whichever comes first.
 */
export const DEFAULT_COMPLETED_RESULTS = 50_000;
export const DEFAULT_STREAM_BUFFER_SIZE = 1024;
export const DEFAULT_MAX_RESULTS_PER_AGGREGATION = MAX_RESULTS_PER_REPLY;

export function defaultAggregatorOptions(): AggregatorOptions {
  return {
    dedupKey: DedupKey.CollectorTaskSeq,
    completedRingSize: DEFAULT_COMPLETED_RING_SIZE,
    completedResults: DEFAULT_COMPLETED_RESULTS,
    streamBufferSize: DEFAULT_STREAM_BUFFER_SIZE,
    maxResultsPerAggregation: DEFAULT_MAX_RESULTS_PER_AGGREGATION,
  };
}

/** Merges `partial` over the defaults and validates once. */
export function parseAggregatorOptions(
  partial: Partial<AggregatorOptions> = {},
): AggregatorOptions {
  rejectUnknownKeys("aggregator", partial, Object.keys(defaultAggregatorOptions()));
  const o: AggregatorOptions = { ...defaultAggregatorOptions(), ...stripUndefined(partial) };
  if (typeof o.dedupKey !== "function" && !Object.values(DedupKey).includes(o.dedupKey)) {
    throw new InvalidArgumentError(
      "dedupKey",
      `must be a function or one of ${Object.values(DedupKey).join(", ")}`,
    );
  }
  positiveInt("completedRingSize", o.completedRingSize);
  positiveInt("completedResults", o.completedResults);
  positiveInt("streamBufferSize", o.streamBufferSize);
  positiveInt("maxResultsPerAggregation", o.maxResultsPerAggregation);
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
  if (key === DedupKey.TaskSeq) return (r) => `${r.taskId} ${r.seq}`;
  return key === DedupKey.CollectorTaskSeqAttempt
    ? (r) => `${r.collectorId} ${r.taskId} ${r.seq} ${r.attempt ?? ""}`
    : (r) => `${r.collectorId} ${r.taskId} ${r.seq}`;
}
