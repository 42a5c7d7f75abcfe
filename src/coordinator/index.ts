export { Coordinator } from "./coordinator.js";
export type {
  CoordinatorCounters,
  CoordinatorEvent,
  SubmitOptions,
  TaskSpec,
} from "./coordinator.js";
export { CoordinatorService } from "./service.js";
export type { CoordinatorInit, CoordinatorOptions } from "./options.js";
export {
  DEFAULT_ADVERT_TTL_MS,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_SUBMIT_TIMEOUT_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  parseCoordinatorOptions,
} from "./options.js";
export { noopMetrics, type CoordinatorMetrics } from "./metrics.js";
