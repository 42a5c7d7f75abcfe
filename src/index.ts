/**
 * collector-mesh: coordination of host-monitoring collectors over NATS.
 *
 * The wire contract (subjects, schemas, headers) is also published alone as
 * `collector-mesh/subjects`.
 */
export * from "../subjects/index.js";
export * from "./errors.js";
export { encode, decode, encodeRaw, decodeRaw, type DecodeOptions } from "./codec.js";
export { ManualClock, seededRng, systemClock, type Clock, type Deps, type Rng } from "./clock.js";
export { QueuedIterator, type MeshIterator } from "./structures/iterator.js";
export { VERSION } from "./version.js";

export {
  Coordinator,
  type CoordinatorEvent,
  type CoordinatorInit,
  type CoordinatorMetrics,
  type SubmitOptions,
  type TaskSpec,
} from "./coordinator/index.js";
export {
  Collector,
  type CollectorInit,
  type CollectorStats,
  type TaskContext,
  type TaskHandler,
} from "./collector/index.js";
export {
  Advertiser,
  CapabilityRouter,
  RouterWatcher,
  openAdvertBucket,
  type Candidate,
  type RouterChange,
  type RoutingDecision,
  type RoutingStats,
} from "./router/index.js";
export {
  LoadBalancer,
  registerStrategy,
  resolveStrategy,
  type BalancerCandidate,
  type LoadBalancingStats,
  type LoadBalancingStrategy,
} from "./balancer/index.js";
export {
  TaskDistributor,
  TaskPublisher,
  CollectionEvent,
  type DistributionStats,
} from "./distributor/index.js";
export { ResultAggregator, ResultInbox, type AggregationStats } from "./aggregator/index.js";
export { referenceCollectors, procmond, netmond, fsmond } from "./collectors/index.js";
export { createLogger } from "./telemetry/logger.js";
export { tracer, hdrGetter, hdrSetter } from "./telemetry/tracing.js";
export { NatsServer, NatsServerNotFoundError } from "./server/nats-server.js";
