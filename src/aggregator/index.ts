export { ResultAggregator } from "./result-aggregator.js";
export { ResultInbox } from "./result-inbox.js";
export { compareResults } from "./aggregation.js";
export {
  DEFAULT_COMPLETED_RING_SIZE,
  DEFAULT_MAX_RESULTS_PER_AGGREGATION,
  DEFAULT_STREAM_BUFFER_SIZE,
  defaultAggregatorOptions,
  parseAggregatorOptions,
} from "./options.js";
export { DEDUP_KEYS, type DedupKey } from "./types.js";
export type {
  AggregationOptions,
  AggregationStats,
  AggregatorOptions,
  DedupKeyFn,
  ResultInboxOptions,
  ResultInboxStats,
} from "./types.js";
