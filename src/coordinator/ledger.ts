import { ErrorCode, type SubmitMode, type Task, type TaskPriority } from "../../subjects/index.js";
import { MeshError } from "../errors.js";
import type { Targeting } from "./targeting.js";

/** One accepted submit: its tasks (one, or a part per instance for a fan-out). */
export interface Submission {
  readonly correlationId: string;
  readonly mode: SubmitMode;
  readonly priority: TaskPriority;
  readonly taskIds: string[];
  /** The wiring's tracing context; the ledger only keeps it. */
  readonly ctx: unknown;
  /** A durable submission's submitter (the owner token of its subjects). */
  readonly owner: string | undefined;
  /** A `one` submit narrowed by selector or named instances, or with a preference. */
  readonly target: Targeting | undefined;
}

/** A task between submit and its final result. */
export interface TaskEntry {
  /** The task as last sent (or as made, before the first attempt). */
  task: Task;
  readonly submission: Submission;
  /** Attempts dispatched so far. */
  attempts: number;
  /** A fan-out part belongs to this instance: it asks about that instance's own host. */
  readonly owner: string | undefined;
  /** Instances that failed this task: a `one` task avoids them while another can take it. */
  avoid: Set<string> | undefined;
}

/** What went wrong with an attempt. */
export interface AttemptFailure {
  readonly reason: string;
  /** The code a give-up reports. */
  readonly code: ErrorCode;
  /** The instance is gone (no responders, failed probe, stale, left), not merely slow. */
  readonly gone: boolean;
}

/** What to do with a task whose attempt failed: decided here, done by the wiring. */
export type AfterFailure =
  /** Queue it again: a `one` task for another instance, a fan-out part for its own. */
  | { readonly kind: "resend"; readonly entry: TaskEntry }
  /** A fan-out part whose instance is gone: report it lost. */
  | { readonly kind: "lost"; readonly entry: TaskEntry; readonly error: MeshError }
  /** Out of attempts: report the error. */
  | { readonly kind: "give-up"; readonly entry: TaskEntry; readonly error: MeshError }
  /** Its own deadline passed: the aggregation ends it as partial or timed out. */
  | { readonly kind: "expired"; readonly entry: TaskEntry };

/**
 * Submissions and their tasks, and what happens to a task when an attempt fails: a `one` task is
 * re-sent to another instance while its deadline and attempts allow; a fan-out part belongs to
 * its instance, so when that instance is gone the part is lost, never answered by another host.
 * Pure and synchronous: decisions come back as data.
 */
export class TaskLedger {
  readonly #tasks = new Map<string, TaskEntry>();
  readonly #submissions = new Map<string, Submission>();
  readonly #maxAttempts: number;

  constructor(maxAttempts: number) {
    this.#maxAttempts = maxAttempts;
  }

  /** Tasks not finished. */
  get size(): number {
    return this.#tasks.size;
  }

  /** Submissions not finished. */
  get submissions(): number {
    return this.#submissions.size;
  }

  /** Opens a submission; a finished one with the same id is replaced. */
  open(
    correlationId: string,
    mode: SubmitMode,
    priority: TaskPriority,
    ctx: unknown,
    owner?: string,
    target?: Targeting,
  ): Submission {
    const sub: Submission = { correlationId, mode, priority, taskIds: [], ctx, owner, target };
    this.#submissions.set(correlationId, sub);
    return sub;
  }

  add(sub: Submission, task: Task, owner: string | undefined): TaskEntry {
    const entry: TaskEntry = { task, submission: sub, attempts: 0, owner, avoid: undefined };
    this.#tasks.set(task.taskId, entry);
    sub.taskIds.push(task.taskId);
    return entry;
  }

  /** The submission running under `correlationId`, if any. */
  submission(correlationId: string): Submission | undefined {
    return this.#submissions.get(correlationId);
  }

  get(taskId: string): TaskEntry | undefined {
    return this.#tasks.get(taskId);
  }

  has(taskId: string): boolean {
    return this.#tasks.has(taskId);
  }

  /** The task to send now: the next attempt number, counted. */
  nextAttempt(entry: TaskEntry): Task {
    const attempt = entry.attempts++;
    if (attempt !== entry.task.attempt) entry.task = { ...entry.task, attempt };
    return entry.task;
  }

  /** A final result arrived, or the task ended otherwise: it leaves the ledger. */
  end(taskId: string): TaskEntry | undefined {
    const entry = this.#tasks.get(taskId);
    if (entry !== undefined) this.#tasks.delete(taskId);
    return entry;
  }

  /** An attempt of `taskId` on `collectorId` failed at `now`: what to do, or undefined if unknown. */
  failed(
    taskId: string,
    collectorId: string,
    failure: AttemptFailure,
    now: number,
  ): AfterFailure | undefined {
    const entry = this.#tasks.get(taskId);
    if (entry === undefined) return undefined;
    const { task } = entry;
    if (now >= task.deadline) {
      this.#tasks.delete(taskId);
      return { kind: "expired", entry };
    }
    if (entry.owner !== undefined && failure.gone) {
      this.#tasks.delete(taskId);
      const error = new MeshError(
        ErrorCode.CollectorLost,
        `collector ${entry.owner} was lost while running task ${taskId}: ${failure.reason}`,
      );
      return { kind: "lost", entry, error };
    }
    if (entry.attempts >= this.#maxAttempts) {
      this.#tasks.delete(taskId);
      const error = new MeshError(
        failure.code,
        `task ${taskId} gave up after ${entry.attempts} attempts: ${failure.reason}`,
      );
      return { kind: "give-up", entry, error };
    }
    if (entry.owner === undefined) (entry.avoid ??= new Set()).add(collectorId);
    return { kind: "resend", entry };
  }

  /**
   * The submission ended (complete, timed out, failed): its tasks still open leave the ledger and
   * come back, so the wiring can take them off queues and instances. Only `sub` itself is closed:
   * a newer submission under the same id stays.
   */
  close(sub: Submission): TaskEntry[] {
    if (this.#submissions.get(sub.correlationId) === sub) {
      this.#submissions.delete(sub.correlationId);
    }
    const open: TaskEntry[] = [];
    for (const id of sub.taskIds) {
      const entry = this.#tasks.get(id);
      if (entry === undefined || entry.submission !== sub) continue;
      this.#tasks.delete(id);
      open.push(entry);
    }
    return open;
  }

  clear(): void {
    this.#tasks.clear();
    this.#submissions.clear();
  }
}
