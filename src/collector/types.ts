import type { Logger } from "pino";
import type { CollectorHealth, Task } from "../../subjects/index.js";

/** What a handler gets besides the payload. */
export interface TaskContext {
  readonly task: Task;
  /** Aborted when the collector stops before the task ends, or its deadline passes. */
  readonly signal: AbortSignal;
  readonly collectorId: string;
  readonly logger: Logger;
}

/**
 * A collector's work. Return a value (one result), or an async iterable (a stream of results,
 * the last marked final). Throw a MeshError to send its code; any other error is HANDLER_ERROR.
 */
/** Returns a value, a Promise of one, or an AsyncIterable of many. */
export type TaskHandler = (payload: unknown, ctx: TaskContext) => unknown;

export interface CollectorStats {
  readonly received: number;
  readonly completed: number;
  readonly failed: number;
  readonly invalid: number;
  readonly expired: number;
  readonly rejected: number;
  readonly resultsSent: number;
  readonly running: number;
  readonly queued: number;
  readonly health: CollectorHealth;
}
