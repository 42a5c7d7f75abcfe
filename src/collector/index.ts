export { Collector } from "./collector.js";
export type { CollectorInit, CollectorOptions } from "./options.js";
export {
  DEFAULT_DRAIN_GRACE_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_TASK_BYTES,
  DEFAULT_TTL_MS,
  parseCollectorOptions,
} from "./options.js";
export type { CollectorStats, TaskContext, TaskHandler } from "./types.js";
