export { CapabilityRouter } from "./capability-router.js";
// The NATS side of discovery lives in ../discovery; named here too, where users found it.
export {
  RouterWatcher,
  Advertiser,
  openAdvertBucket,
  bindAdvertBucket,
  listAdverts,
  supportsLimitMarkers,
  type AdvertBucketOptions,
} from "../discovery/index.js";
export {
  confidence,
  freshness,
  loadFactor,
  HEALTH_FACTOR,
  MIN_FRESHNESS,
  STALE_FRESHNESS,
  MIN_LOAD_FACTOR,
} from "./confidence.js";
export {
  DEFAULT_ADVERT_TTL_MS,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_SUSPECT_AFTER_MS,
  DEFAULT_FORGET_AFTER_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_INIT_TIMEOUT_MS,
  defaultRouterOptions,
  parseRouterOptions,
} from "./options.js";
export { RouterChangeKind } from "./types.js";
export type {
  Candidate,
  RouterChange,
  RouterHeartbeat,
  RouterUpdate,
  RoutingDecision,
  RoutingStats,
  RouterOptions,
  RouterWatcherOptions,
  RouterWatcherStats,
  AdvertiserOptions,
  AdvertiserStats,
} from "./types.js";
