/**
 * collector-mesh: coordination of host-monitoring collectors over NATS.
 *
 * What a program adopts: the Coordinator and the Collector SDK, the wire contract (also
 * published alone as `collector-mesh/subjects`), typed errors, balancing strategies, the pure
 * cores named as in the original design, and the reference collectors. Adapters, the codec's
 * raw helpers and the nats-server launcher used by tests are in `collector-mesh/internal`.
 */
export * from "../subjects/index.js";
export * from "./errors.js";
export { encode, decode, type DecodeOptions } from "./codec.js";
export { ManualClock, seededRng, systemClock, type Clock, type Deps, type Rng } from "./clock.js";
export type { MeshIterator } from "./structures/iterator.js";
export { VERSION } from "./version.js";

export {
  Coordinator,
  defaultCoordinatorOptions,
  type CoordinatorCounters,
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
  CapabilityRouter,
  defaultRouterOptions,
  type Candidate,
  type RouterChange,
  type RouterOptions,
  type RouterUpdate,
  type RoutingDecision,
  type RoutingStats,
} from "./router/index.js";
export {
  LoadBalancer,
  defaultBalancerOptions,
  registerStrategy,
  resolveStrategy,
  type BalancerOptions,
  type InstanceUpdate,
  type LoadBalancingStats,
  type LoadBalancingStrategy,
  type StrategySpec,
} from "./balancer/index.js";
export { TaskDistributor, CollectionEvent, type DistributionStats } from "./distributor/index.js";
export {
  ResultAggregator,
  defaultAggregatorOptions,
  type AggregationStats,
  type AggregatorOptions,
} from "./aggregator/index.js";
export { referenceCollectors, procmond, netmond, fsmond } from "./collectors/index.js";
export { createLogger, type Logger } from "./telemetry/logger.js";
export { tracer, hdrGetter, hdrSetter } from "./telemetry/tracing.js";
export * from "./hunts/index.js";
