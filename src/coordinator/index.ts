export { Coordinator } from "./coordinator.js";
export type {
  CoordinatorApi,
  CoordinatorCounters,
  CoordinatorEvent,
  RejectedCounts,
  SubmitOptions,
  TaskSpec,
} from "./types.js";
export { CoordinatorService } from "./service.js";
export type { CoordinatorInit, CoordinatorOptions } from "./options.js";
export {
  DEFAULT_ADVERT_TTL_MS,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_PROBE_COOLDOWN_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_SUBMIT_TIMEOUT_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  defaultCoordinatorOptions,
  parseCoordinatorOptions,
} from "./options.js";
export { Mismatch } from "./flights.js";
export { noopMetrics, type CoordinatorMetrics } from "./metrics.js";
