import {
  ALL_CAPS,
  domainOf,
  isToken,
  PRIORITY_NAMES,
  TaskPriority,
  type PriorityName,
  type Task,
} from "../../subjects/index.js";
import { defaultDeps, type Clock, type Deps } from "../clock.js";
import { InvalidArgumentError, InvalidSubjectTokenError, OverloadedError } from "../errors.js";
import { eventCapabilities, eventPayload, type CollectionEvent } from "./events.js";
import { LatencyWindow } from "./latency-window.js";
import { checkTimeout, parseDistributorOptions } from "./options.js";
import { PriorityQueue } from "./priority-queue.js";
import type {
  DistributionStats,
  DistributorOptions,
  PlaceFn,
  PriorityStats,
  TaskSpec,
} from "./types.js";

interface Outcomes {
  distributed: number;
  delivered: number;
  failed: number;
  timedOut: number;
}

const zero = (): Outcomes => ({ distributed: 0, delivered: 0, failed: 0, timedOut: 0 });

/**
 * Makes tasks and holds the ones waiting for capacity: Critical > High > Normal > Low, FIFO within
 * a level, aging against starvation, deadlines, bounded (OverloadedError past `maxQueued`).
 * Pure and synchronous: the clock is injected, the coordinator's sweep timer calls `sweep()`, and
 * `dispatchReady(place)` hands tasks to whatever sends them.
 */
export class TaskDistributor {
  readonly options: Readonly<DistributorOptions>;
  readonly #clock: Clock;
  readonly #queue: PriorityQueue;
  readonly #waits: LatencyWindow;
  /**
   * Enqueue times of the tasks the last walk placed, for a dispatch recorded after `place`
   * returned (one recorded inside `place` finds its task still queued). Cleared at each walk.
   */
  readonly #placedAt = new Map<string, number>();
  readonly #outcomes = [zero(), zero(), zero(), zero()] as const;
  #rejected = 0;
  #latencySum = 0;

  constructor(opts: Partial<DistributorOptions> = {}, deps: Partial<Deps> = {}) {
    this.options = Object.freeze(parseDistributorOptions(opts));
    this.#clock = defaultDeps(deps).clock;
    this.#queue = new PriorityQueue(this.options.agingMs);
    this.#waits = new LatencyWindow(this.options.latencySamples);
  }

  /** A fresh task (attempt 0) for `spec`; ids are made unless given. */
  createTask(spec: TaskSpec): Task {
    const caps = spec.requiredCapabilities;
    if (!Number.isInteger(caps) || caps < 0 || (caps & ~ALL_CAPS) !== 0) {
      throw new InvalidArgumentError("requiredCapabilities", `has unknown bits: ${caps}`);
    }
    const priority = spec.priority ?? TaskPriority.Normal;
    if (priority !== 0 && priority !== 1 && priority !== 2 && priority !== 3) {
      throw new InvalidArgumentError("priority", `must be 0-3, got ${String(priority)}`);
    }
    const timeoutMs =
      spec.timeoutMs === undefined
        ? this.options.defaultTimeoutMs
        : checkTimeout("timeoutMs", spec.timeoutMs);
    const taskId = spec.taskId ?? this.options.newId();
    const correlationId = spec.correlationId ?? this.options.newId();
    if (!isToken(taskId)) throw new InvalidSubjectTokenError("task id", taskId);
    if (!isToken(correlationId))
      throw new InvalidSubjectTokenError("correlation id", correlationId);
    const createdAt = this.#clock.now();
    return {
      taskId,
      correlationId,
      requiredCapabilities: caps,
      domain: domainOf(caps),
      priority,
      payload: spec.payload,
      createdAt,
      deadline: createdAt + timeoutMs,
      attempt: 0,
    };
  }

  /** A task for a collection event: its capabilities, the event as payload. */
  createTaskFromEvent(
    event: CollectionEvent,
    priority: TaskPriority = TaskPriority.Normal,
    timeoutMs: number = this.options.defaultTimeoutMs,
  ): Task {
    return this.createTask({
      requiredCapabilities: eventCapabilities(event),
      payload: eventPayload(event),
      priority,
      timeoutMs,
      correlationId: event.kind === "trigger" ? event.correlationId : undefined,
    });
  }

  /** Queues a task; OverloadedError at once past `maxQueued`, changing nothing. */
  enqueue(task: Task): void {
    if (this.#queue.size >= this.options.maxQueued) {
      this.#rejected++;
      throw new OverloadedError("task queue", this.options.maxQueued);
    }
    if (this.#queue.has(task.taskId)) {
      throw new InvalidArgumentError("taskId", `is already queued: ${task.taskId}`);
    }
    const caps = task.requiredCapabilities;
    if (!Number.isInteger(caps) || caps < 0 || (caps & ~ALL_CAPS) !== 0) {
      throw new InvalidArgumentError("requiredCapabilities", `has unknown bits: ${caps}`);
    }
    if (!(task.priority >= 0 && task.priority <= 3 && Number.isInteger(task.priority))) {
      throw new InvalidArgumentError("priority", `must be 0-3, got ${String(task.priority)}`);
    }
    this.#queue.add(task, this.#clock.now());
  }

  /**
   * Offers queued tasks to `place` in effective priority order (aging applied). A refused task
   * makes the walk skip every task needing the same capabilities; tasks needing other
   * capabilities are still tried. Returns how many were placed (and left the queue).
   */
  dispatchReady(place: PlaceFn): number {
    this.#placedAt.clear();
    return this.#queue.walk(this.#clock.now(), place, (task, at) => {
      this.#placedAt.set(task.taskId, at);
    });
  }

  /** Removes and returns the task that comes first now (aging applied), if any. */
  nextTask(): Task | undefined {
    this.#placedAt.clear();
    const next = this.#queue.shift(this.#clock.now());
    if (next === undefined) return undefined;
    this.#placedAt.set(next.task.taskId, next.enqueuedAt);
    return next.task;
  }

  /** Removes and returns queued tasks whose deadline passed; each counts as timed out. */
  sweep(): Task[] {
    const expired = this.#queue.expire(this.#clock.now());
    for (const task of expired) this.#outcome(task).timedOut++;
    return expired;
  }

  remove(taskId: string): Task | undefined {
    return this.#queue.remove(taskId);
  }

  has(taskId: string): boolean {
    return this.#queue.has(taskId);
  }

  size(): number {
    return this.#queue.size;
  }

  /** A task was sent to a collector: counts it, its queue wait and its distribution latency. */
  recordDispatched(task: Task): void {
    const now = this.#clock.now();
    this.#outcome(task).distributed++;
    const since = this.#queue.enqueuedAt(task.taskId) ?? this.#placedAt.get(task.taskId);
    this.#placedAt.delete(task.taskId);
    this.#waits.record(Math.max(0, now - (since ?? task.createdAt)));
    this.#latencySum += Math.max(0, now - task.createdAt);
  }

  recordDelivered(task: Task): void {
    this.#outcome(task).delivered++;
  }

  recordFailed(task: Task): void {
    this.#outcome(task).failed++;
  }

  /** An in-flight task ran out of time (queued tasks are counted by `sweep`). */
  recordTimedOut(task: Task): void {
    this.#outcome(task).timedOut++;
  }

  stats(): DistributionStats {
    const perPriority = {} as Record<PriorityName, PriorityStats>;
    const total = zero();
    PRIORITY_NAMES.forEach((name, level) => {
      const o = this.#outcomes[level as TaskPriority];
      total.distributed += o.distributed;
      total.delivered += o.delivered;
      total.failed += o.failed;
      total.timedOut += o.timedOut;
      perPriority[name] = { pending: this.#queue.pendingAt(level as TaskPriority), ...o };
    });
    const [p50, p99] = this.#waits.percentiles(0.5, 0.99);
    return {
      ...total,
      pending: this.#queue.size,
      rejected: this.#rejected,
      perPriority,
      queueWaitP50Ms: p50 ?? 0,
      queueWaitP99Ms: p99 ?? 0,
      avgDistributionLatencyMs: total.distributed === 0 ? 0 : this.#latencySum / total.distributed,
    };
  }

  #outcome(task: Task): Outcomes {
    return this.#outcomes[task.priority] ?? this.#outcomes[TaskPriority.Normal];
  }
}
