import type { AggregationStatus, TaskPriority } from "../../subjects/index.js";

/**
 * Observations the coordinator reports as they happen (histograms need them at event time).
 * Counts that the components already keep are read at scrape time instead.
 */
export interface CoordinatorMetrics {
  /** A submission ended: its outcome and end-to-end time. */
  submissionEnded(priority: TaskPriority, outcome: AggregationStatus, e2eMs: number): void;
  /** One attempt was published: time from submit to this dispatch. */
  dispatched(priority: TaskPriority, latencyMs: number): void;
}

export const noopMetrics: CoordinatorMetrics = {
  submissionEnded: () => undefined,
  dispatched: () => undefined,
};
