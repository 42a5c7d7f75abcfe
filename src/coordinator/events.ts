import type { NatsConnection } from "@nats-io/nats-core";
import { FailoverEvent, formatCaps, type Subjects } from "../../subjects/index.js";
import { encode } from "../codec.js";
import type { Logger } from "../telemetry/logger.js";
import { LogOnce } from "../telemetry/log-once.js";
import type { LeaderLease } from "./leader.js";
import type { CoordinatorEvent } from "./types.js";
import type { Flight } from "./flights.js";

/**
 * What a coordinator tells the world: in-process listeners hear every event; on NATS only the
 * mesh's leader publishes, so each event goes out once whatever the number of coordinators, naming
 * the coordinator that observed it. Repeated warnings are logged once per key per minute.
 */
export interface EventsDeps {
  readonly nc: NatsConnection;
  readonly subjects: Subjects;
  /** The coordinator that observed the events. */
  readonly id: string;
  readonly logger: Logger;
  readonly lease: LeaderLease;
}

export class CoordinatorEvents {
  readonly #d: EventsDeps;
  readonly #listeners = new Set<(e: CoordinatorEvent) => void>();
  readonly #logOnce = new LogOnce();

  constructor(d: EventsDeps) {
    this.#d = d;
  }

  listen(fn: (e: CoordinatorEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * An instance failed: published by the leader (once for the mesh, whoever had work on it);
   * when tasks of this coordinator moved (`moved`), also logged and heard by listeners.
   */
  failover(event: FailoverEvent, moved: boolean): void {
    const observed: FailoverEvent = { ...event, observedBy: this.#d.id };
    if (this.#d.lease.leader) {
      try {
        this.#d.nc.publish(this.#d.subjects.failoverEvent(), encode(FailoverEvent, observed));
      } catch (err) {
        this.#d.logger.warn({ err: String(err) }, "failover event not published");
      }
    }
    if (!moved) return;
    const { failedCollectorId: failed, failoverTargetId: target, reason } = event;
    this.#d.logger.warn({ failed, target, tasks: event.taskIds.length, reason }, "failover");
    this.emit({ kind: "failover", event: observed });
  }

  emit(e: CoordinatorEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch (err) {
        this.#d.logger.warn({ err: String(err) }, "listener threw");
      }
    }
  }

  warnOnce(key: string, msg: string, detail: string | undefined): void {
    const once = this.#logOnce.check(key);
    if (once.log) this.#d.logger.warn({ detail, suppressed: once.suppressed }, msg);
  }

  /** A task goes out again: said in the log and as an event (a re-send is never silent). */
  resent(f: Flight, reason: string): void {
    const { taskId, correlationId } = f.task;
    const { collectorId: from, attempt } = f;
    this.#d.logger.info({ taskId, correlationId, from, attempt, reason }, "re-sent");
    this.emit({ kind: "resend", taskId, correlationId, from, attempt, reason });
  }

  /** A submit nobody can take: logged once per capability set, and an event. */
  noCapable(required: number): void {
    this.warnOnce(`nocap:${required}`, "no capable collector", formatCaps(required));
    this.emit({ kind: "no-capable-collector", required });
  }
}
