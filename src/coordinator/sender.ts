import type { NatsConnection } from "@nats-io/nats-core";
import { CancelTask, type Subjects, type Task } from "../../subjects/index.js";
import { encode } from "../codec.js";
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
  readonly #nc: NatsConnection;
  readonly #subjects: Subjects;

  constructor(
    nc: NatsConnection,
    subjects: Subjects,
    parts: CoreParts,
    metrics: CoordinatorMetrics,
  ) {
    this.#nc = nc;
    this.#subjects = subjects;
    this.#p = parts;
    this.#publisher = new TaskPublisher(nc, { prefix: subjects.prefix });
    this.#metrics = metrics;
    this.#resultPrefix = subjects.resultPrefix(parts.coordinatorId);
  }

  /** Tells `collectorId` to stop an attempt (best effort: a lost cancel wastes only its work). */
  cancel(collectorId: string, taskId: string, attempt: number, reason: string): void {
    const body: CancelTask = { taskId, attempt, reason: reason.slice(0, 1024) };
    try {
      this.#nc.publish(this.#subjects.collectorCancel(collectorId), encode(CancelTask, body));
    } catch {
      // Closed: the instance will find out its attempt was abandoned from the answer dropped.
    }
  }

  /** Sends `task` (the attempt the ledger made) to `collectorId`; throws when it cannot. */
  send(entry: TaskEntry, task: Task, collectorId: string): void {
    const { flights, distributor, clock } = this.#p;
    const now = clock.now();
    const flight = flights.start(task, collectorId, now);
    this.#p.detector.working(collectorId, now);
    if (entry.owner !== undefined) this.#p.aggregator.sent(task.correlationId, collectorId);
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
