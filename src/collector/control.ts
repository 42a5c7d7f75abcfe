import { headers as natsHeaders, type Msg, type NatsConnection } from "@nats-io/nats-core";
import { CancelTask, MeshHeaders } from "../../subjects/index.js";
import { decode } from "../codec.js";
import { ErrorCode, MeshError } from "../errors.js";
import type { Clock } from "../clock.js";
import type { TaskRun } from "./runner.js";

/** Largest cancel message accepted (bytes). */
const MAX_CANCEL_BYTES = 4096;

export interface ControlDeps {
  readonly clock: Clock;
  readonly nc: () => NatsConnection | undefined;
  readonly running: () => Iterable<TaskRun>;
  /** Drops a queued (not yet running) attempt of `taskId`; true when there was one. */
  readonly dropQueued: (taskId: string, attempt: number | undefined) => boolean;
}

/**
 * What a collector hears about tasks besides the tasks themselves, and says while running them:
 * a cancel on `<p>.collector.<id>.cancel` aborts the run (its handler's `ctx.signal`) or drops it
 * from the queue; while a handler works, an empty `Mesh-Progress` message on its reply subject
 * every `progressMs` tells the coordinator the attempt is alive, so a long task is not re-sent
 * for its attempt timeout. One timer for all runs.
 */
export class TaskControl {
  readonly #d: ControlDeps;
  readonly #progressMs: number;
  readonly #progress = natsHeaders();
  #timer: NodeJS.Timeout | undefined;
  cancelled = 0;

  constructor(deps: ControlDeps, progressMs: number) {
    this.#d = deps;
    this.#progressMs = progressMs;
    this.#progress.set(MeshHeaders.Progress, "1");
  }

  start(): void {
    this.#timer = setInterval(() => this.#tick(), this.#progressMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** A cancel message: invalid ones change nothing. */
  onCancel(msg: Msg): void {
    let c: CancelTask;
    try {
      c = decode(CancelTask, msg.data, { subject: msg.subject, maxBytes: MAX_CANCEL_BYTES });
    } catch {
      return;
    }
    const reason = new MeshError(ErrorCode.Cancelled, `task ${c.taskId} cancelled: ${c.reason}`);
    let found = this.#d.dropQueued(c.taskId, c.attempt);
    for (const run of this.#d.running()) {
      if (run.task.taskId !== c.taskId) continue;
      if (c.attempt !== undefined && run.task.attempt !== c.attempt) continue;
      run.abort(reason);
      found = true;
    }
    if (found) this.cancelled++;
  }

  #tick(): void {
    const nc = this.#d.nc();
    if (nc === undefined) return;
    const due = this.#d.clock.now() - this.#progressMs;
    for (const run of this.#d.running()) {
      if (run.reply === undefined || run.aborted || run.startedAt > due) continue;
      try {
        nc.publish(run.reply, new Uint8Array(0), { headers: this.#progress });
      } catch {
        return; // closed: nobody is listening any more
      }
    }
  }
}
