import type { MsgHdrs } from "@nats-io/nats-core";
import type { PriorityName, Task, TaskPriority } from "../../subjects/index.js";

export interface DistributorOptions {
  /** Most tasks queued at once; past it `enqueue` throws OverloadedError (default 10,000). */
  maxQueued: number;
  /**
   * A queued task moves up one priority level per `agingMs` waited, so Low is never starved
   * (default 1000). `Infinity` turns aging off.
   */
  agingMs: number;
  /** Task timeout when a spec gives none (default 30,000 ms). */
  defaultTimeoutMs: number;
  /** Most recent queue waits kept for the p50/p99 (default 2048). */
  latencySamples: number;
  /** Makes task and correlation ids: short, one subject token each (default nuid). */
  newId: () => string;
}

/** What `createTask` needs; the rest of a Task is filled in. */
export interface TaskSpec {
  requiredCapabilities: number;
  payload: unknown;
  priority?: TaskPriority;
  timeoutMs?: number;
  correlationId?: string;
  taskId?: string;
}

/**
 * Called by `dispatchReady` for each queued task in priority order: true when the task was sent
 * (it leaves the queue), false when no instance has room for it now.
 */
export type PlaceFn = (task: Task) => boolean;

export interface PriorityStats {
  /** Queued now. */
  pending: number;
  distributed: number;
  delivered: number;
  failed: number;
  timedOut: number;
}

export interface DistributionStats {
  /** Dispatches recorded (a re-sent task counts again). */
  distributed: number;
  /** Queued now. */
  pending: number;
  delivered: number;
  failed: number;
  /** Queued tasks swept past their deadline plus in-flight timeouts recorded. */
  timedOut: number;
  /** Enqueues refused with OverloadedError. */
  rejected: number;
  perPriority: Record<PriorityName, PriorityStats>;
  /** Time from enqueue (or creation, for a task never queued) to dispatch, recent window. */
  queueWaitP50Ms: number;
  queueWaitP99Ms: number;
  /** Mean time from task creation to each dispatch, all time. */
  avgDistributionLatencyMs: number;
}

export interface TaskPublisherOptions {
  /** Subject prefix (default `daemoneye`). */
  prefix?: string;
}

export interface DistributeOptions {
  /** Publish on this instance's direct subject instead of the plain (queue-group) path. */
  collectorId?: string;
  /** Where the collector sends its results (the coordinator's result inbox subject). */
  reply?: string;
  /** Headers to send; trace context is added to them when tracing is on. */
  headers?: MsgHdrs;
  /** Name of the PRODUCER span (default `publish <subject>`); the coordinator uses `dispatch`. */
  spanName?: string;
}
