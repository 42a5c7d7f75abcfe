import type { NatsConnection } from "@nats-io/nats-core";
import type { Subjects, Task } from "../../subjects/index.js";
import { TaskPublisher } from "../distributor/index.js";
import { context, type Context } from "../telemetry/tracing.js";
import type { CoreParts } from "./parts.js";
import type { CoordinatorMetrics } from "./metrics.js";
import type { TaskEntry } from "./ledger.js";

/**
 * Puts an attempt on the wire: in flight from now, published on the instance's direct subject
 * with the coordinator's result inbox (`<p>.result.<id>.<taskId>.<attempt>`) as its reply subject,
 * under its submission's trace context.
 */
export class TaskSender {
  readonly #p: CoreParts;
  readonly #publisher: TaskPublisher;
  readonly #metrics: CoordinatorMetrics;
  /** `subjects.result(id, taskId, attempt)` without its last two tokens, built once. */
  readonly #resultPrefix: string;

  constructor(
    nc: NatsConnection,
    subjects: Subjects,
    parts: CoreParts,
    metrics: CoordinatorMetrics,
  ) {
    this.#p = parts;
    this.#publisher = new TaskPublisher(nc, { prefix: subjects.prefix });
    this.#metrics = metrics;
    this.#resultPrefix = subjects.resultPrefix(parts.coordinatorId);
  }

  /** Sends `task` (the attempt the ledger made) to `collectorId`; throws when it cannot. */
  send(entry: TaskEntry, task: Task, collectorId: string): void {
    const { flights, distributor, clock } = this.#p;
    const now = clock.now();
    const flight = flights.start(task, collectorId, now);
    distributor.recordDispatched(task);
    this.#metrics.dispatched(task.priority, now - task.createdAt);
    const reply = `${this.#resultPrefix}${task.taskId}.${task.attempt}`;
    const how = { collectorId, reply, spanName: "dispatch" };
    const ctx = entry.submission.ctx as Context | undefined;
    try {
      if (ctx === undefined) this.#publisher.distributeTask(task, how);
      else context.with(ctx, () => this.#publisher.distributeTask(task, how));
    } catch (err) {
      flights.drop(flight);
      throw err;
    }
  }
}
