export { Hunts, type HuntSpec, type HuntView, type HuntsOptions } from "./client.js";
export { HuntCore, type CollectorView, type HuntPlan, type StartPart } from "./core.js";
export { RateGate } from "./rate.js";
export { progressOf, tally, type HuntProgress, type PartCounts } from "./counts.js";
export {
  defaultHuntLimits,
  defaultHuntRunnerOptions,
  parseHuntLimits,
  parseHuntRunnerOptions,
  type HuntLimits,
  type HuntRunnerOptions,
} from "./options.js";
export type { HuntRunnerStats } from "./runner.js";
export type { PartOutcome, PartPort } from "./types.js";
