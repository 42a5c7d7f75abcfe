export { LoadBalancer } from "./load-balancer.js";
export {
  DEFAULT_CAPACITY,
  DEFAULT_EJECTION_BASE_MS,
  DEFAULT_EJECTION_MAX_MS,
  DEFAULT_EWMA_DECAY_MS,
  DEFAULT_EWMA_DEFAULT_LATENCY_MS,
  DEFAULT_FAILOVER_THRESHOLD,
  DEFAULT_MAX_EJECTED_SHARE,
  DEFAULT_STRATEGY,
  defaultBalancerOptions,
  parseBalancerOptions,
} from "./options.js";
export type { BalancerOptions } from "./options.js";
export { registerStrategy, resolveStrategy, strategyNames, StrategyName } from "./strategies.js";
export { PeakEwma } from "./ewma.js";
export { MemberArray } from "./member-array.js";
export { RankSet } from "./rank-set.js";
export { RoundRobinPool, RoundRobinStrategy } from "./strategies/round-robin.js";
export { LeastConnectionsPool, LeastConnectionsStrategy } from "./strategies/least-connections.js";
export {
  WeightedRoundRobinPool,
  WeightedRoundRobinStrategy,
} from "./strategies/weighted-round-robin.js";
export { RandomPool, RandomStrategy } from "./strategies/random.js";
export { P2cEwmaStrategy } from "./strategies/p2c-ewma.js";
export type { P2cEwmaOptions } from "./strategies/p2c-ewma.js";
export type { BreakerState } from "./types.js";
export type {
  DispatchEvent,
  InstanceAdvert,
  InstanceStats,
  InstanceUpdate,
  LoadBalancingStats,
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyFactory,
  StrategyOptions,
  StrategyPool,
  StrategySpec,
  TaskView,
} from "./types.js";
