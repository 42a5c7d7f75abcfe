export { TaskDistributor } from "./task-distributor.js";
export { TaskPublisher } from "./publisher.js";
export {
  CollectionEvent,
  FilesystemEvent,
  NetworkEvent,
  PerformanceEvent,
  ProcessEvent,
  TriggerEvent,
  eventCapabilities,
  eventPayload,
  parseCollectionEvent,
} from "./events.js";
export type { CollectionEventKind } from "./events.js";
export {
  DEFAULT_AGING_MS,
  DEFAULT_LATENCY_SAMPLES,
  DEFAULT_MAX_QUEUED,
  DEFAULT_TIMEOUT_MS,
  MAX_TIMEOUT_MS,
  defaultDistributorOptions,
  parseDistributorOptions,
} from "./options.js";
export type {
  DistributeOptions,
  DistributionStats,
  DistributorOptions,
  PlaceFn,
  PriorityStats,
  TaskPublisherOptions,
  TaskSpec,
} from "./types.js";
