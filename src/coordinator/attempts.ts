import { ErrorCode, type FailoverEvent, type Result } from "../../subjects/index.js";
import { MeshError, NoCapableCollectorError } from "../errors.js";
import type { RouterChange } from "../router/index.js";
import type { Dispatcher } from "./dispatcher.js";
import type { Flight, Mismatch } from "./flights.js";
import type { AfterFailure, AttemptFailure, Submission, TaskEntry } from "./ledger.js";
import type { Verdict } from "./failure-detector.js";
import { errorResult } from "./report.js";
import type { CoreParts } from "./parts.js";
import { randomId } from "../structures/ids.js";

/** Codes with which an instance refuses a task it could not run: a `one` task moves. */
const REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.Stopped,
  ErrorCode.Overloaded,
  ErrorCode.NoCapableCollector,
]);

/** An attempt failure that proves its instance gone. */
export const gone = (reason: string): AttemptFailure => ({
  reason,
  code: ErrorCode.Timeout,
  gone: true,
});

/** The coordinator's pure parts and the dispatcher that sends attempts. */
export interface AttemptsParts extends CoreParts {
  readonly dispatcher: Dispatcher;
}

/** What the attempts need said on NATS. */
export interface AttemptsPort {
  /** An instance failed: `moved` when tasks of this coordinator moved with it. */
  failover(event: FailoverEvent, moved: boolean): void;
  /** The router took an instance out of routing: publish the collector event. */
  changed(change: RouterChange): void;
  /** An answer fit no attempt in flight (counted already): log it. */
  rejected(taskId: string, reason: Mismatch): void;
  /** Tells the instance to stop an attempt this coordinator no longer waits for. */
  cancel(collectorId: string, taskId: string, attempt: number, reason: string): void;
  /** A task is sent again after a failed attempt. */
  resent(f: Flight, reason: string): void;
}

/**
 * What happens to attempts once they are sent: answers that fit their attempt are handed on, a
 * final result frees the instance, and a failed attempt becomes what the ledger decides (sent
 * again, reported lost, given up). The caller has matched each answer to its flight already.
 */
export class Attempts {
  readonly #p: AttemptsParts;
  readonly #port: AttemptsPort;

  constructor(parts: AttemptsParts, port: AttemptsPort) {
    this.#p = parts;
    this.#port = port;
  }

  /**
   * The flight an answer is for, or undefined (counted by reason): every answer passes here
   * first, and one that fits no attempt in flight changes nothing.
   */
  match(
    taskId: string,
    attempt: number | undefined,
    collectorId?: string,
    bodyAttempt?: number,
  ): Flight | undefined {
    const m = this.#p.flights.match(taskId, attempt, collectorId, bodyAttempt);
    if (typeof m !== "string") return m;
    this.#p.counters.reject(m);
    this.#port.rejected(taskId, m);
    return undefined;
  }

  /**
   * A Result on the inbox; `attempt` is its subject's attempt token. `accept`, when given, has
   * the last word on an answer that fits its flight (signed results: verify.ts).
   */
  result(r: Result, attempt: number | undefined, accept?: (f: Flight) => boolean): void {
    const flight = this.match(r.taskId, attempt, r.collectorId, r.attempt);
    if (flight && (accept === undefined || accept(flight))) this.answered(flight, r);
  }

  /** An error reply (Mesh-Error-Code header) on the inbox: the attempt's final error result. */
  errorReply(
    taskId: string,
    attempt: number | undefined,
    err: MeshError,
    accept?: (f: Flight) => boolean,
  ): void {
    const f = this.match(taskId, attempt);
    if (!f || (accept !== undefined && !accept(f))) return;
    const now = this.#p.clock.now();
    this.answered(f, errorResult(f.task, f.collectorId, err, now, f.dispatchedAt, f.nextSeq));
  }

  /** The attempt is still running (a progress message): its deadline starts again. */
  progress(taskId: string, attempt: number | undefined): void {
    const f = this.match(taskId, attempt);
    if (f) this.#p.flights.touch(f, this.#p.clock.now());
  }

  /** A Result (or an error reply made one) for the attempt `flight`. */
  answered(flight: Flight, r: Result): void {
    const { ledger, flights, balancer, distributor, dispatcher, aggregator, clock } = this.#p;
    const now = clock.now();
    this.#p.detector.heard(flight.collectorId, now); // any answer is a sign of life
    const owned = ledger.get(r.taskId)?.owner !== undefined;
    if (r.status === "error" && r.error && REFUSALS.has(r.error.code) && !owned) {
      // The instance refused (draining, full, lacks a capability): move the task, keep no result.
      this.attemptFailed(flight, { reason: r.error.message, code: r.error.code, gone: false });
      return;
    }
    if (!r.final) {
      // A stream in progress is alive: its attempt deadline runs from its latest result.
      flight.nextSeq = Math.max(flight.nextSeq, r.seq + 1);
      flights.touch(flight, now);
    } else {
      flights.drop(flight);
      balancer.release(flight.collectorId, r.taskId);
      balancer.recordSuccess(flight.collectorId, now - flight.dispatchedAt);
      const ended = ledger.end(r.taskId);
      if (ended) distributor.recordDelivered(ended.task);
      dispatcher.freed(flight.collectorId);
    }
    aggregator.addResult(r);
  }

  /** An attempt's own deadline passed with no answer. */
  expired(f: Flight, now: number): void {
    if (now >= f.task.deadline) {
      // The task's own deadline, not the instance's fault: no failure is charged.
      this.attemptFailed(f, { reason: "deadline", code: ErrorCode.Timeout, gone: false });
      return;
    }
    this.#p.counters.attemptTimeouts++;
    if (f.spannedOutage === true) {
      // Its answer may have come while this coordinator was disconnected, and been lost: sent
      // again, with nothing charged to the instance (a whole fleet would fail over otherwise).
      this.attemptFailed(f, {
        reason: "answer lost in an outage",
        code: ErrorCode.Timeout,
        gone: false,
      });
      return;
    }
    const crossed = this.#p.balancer.recordFailure(f.collectorId, "attempt timeout");
    this.attemptFailed(f, { reason: "attempt timeout", code: ErrorCode.Timeout, gone: false });
    // Slow is not gone: while much of the fleet looks late at once (the panic threshold), timeouts
    // move no instance out; a probe's 503 still does.
    if (crossed && !this.#p.detector.panicking) {
      this.failInstance({ id: f.collectorId, reason: "attempt timeouts" });
    }
  }

  /** An instance is gone: its `one` tasks move elsewhere, its fan-out parts are reported lost. */
  failInstance(v: Verdict): void {
    const { router, balancer, flights, dispatcher } = this.#p;
    const change = router.markUnavailable(v.id, v.reason);
    if (change) this.#port.changed(change);
    const inFlight = flights.on(v.id);
    if (inFlight.length > 0 || balancer.tasksOf(v.id).length > 0) {
      this.#p.counters.failovers++;
      this.#port.failover(balancer.triggerFailover(v.id, v.reason), true);
    } else {
      // Nothing of ours moves, but the mesh hears of the failure once (from its leader).
      const timestamp = this.#p.clock.now();
      const event = { eventId: randomId(16), failedCollectorId: v.id, timestamp, reason: v.reason };
      this.#port.failover({ ...event, taskIds: [] }, false);
    }
    for (const f of inFlight) this.attemptFailed(f, gone(v.reason), true);
    for (const e of dispatcher.takeWaiting(v.id)) this.failed(e, v.id, gone(v.reason));
    dispatcher.schedulePump();
  }

  /**
   * `id` restarted under the same id: what its previous incarnation ran died with it. Each
   * attempt fails now (not at its timeout): a `one` task moves, a fan-out part is sent again to
   * the new incarnation of its instance.
   */
  restarted(id: string): void {
    const inFlight = this.#p.flights.on(id);
    if (inFlight.length === 0) return;
    const failure = { reason: "collector restarted", code: ErrorCode.Timeout, gone: false };
    for (const f of inFlight) this.attemptFailed(f, failure);
    this.#p.dispatcher.schedulePump();
  }

  /** An attempt failed: the ledger decides; `released` when the balancer already let it go. */
  attemptFailed(f: Flight, failure: AttemptFailure, released = false): void {
    const { flights, balancer, ledger, clock } = this.#p;
    flights.drop(f);
    if (!released) balancer.release(f.collectorId, f.task.taskId);
    // Alive but abandoned (timed out, refused): it stops rather than finish work nobody awaits.
    if (!failure.gone) this.#port.cancel(f.collectorId, f.task.taskId, f.attempt, failure.reason);
    const d = ledger.failed(f.task.taskId, f.collectorId, failure, clock.now());
    if (d?.kind === "resend") this.#port.resent(f, failure.reason);
    this.#after(d, f);
  }

  /** A task with no flight (waiting, or never sent) failed on `collectorId`. */
  failed(entry: TaskEntry, collectorId: string, failure: AttemptFailure): void {
    const { ledger, clock } = this.#p;
    this.#after(ledger.failed(entry.task.taskId, collectorId, failure, clock.now()), undefined);
  }

  /** A task that will not run: an error part for its aggregation. */
  endWithError(entry: TaskEntry, err: MeshError): void {
    const { ledger, distributor, aggregator, clock, coordinatorId } = this.#p;
    const { task } = entry;
    ledger.end(task.taskId);
    distributor.remove(task.taskId);
    distributor.recordFailed(task);
    if (err instanceof NoCapableCollectorError) aggregator.fail(task.correlationId, err);
    else aggregator.addResult(errorResult(task, coordinatorId, err, clock.now(), undefined, 0));
  }

  /** The submission ended: parts still queued, waiting or running end with it. */
  closed(sub: Submission, reason = "submission ended"): number {
    const { ledger, distributor, flights, balancer, dispatcher } = this.#p;
    const open = ledger.close(sub);
    for (const { task } of open) {
      distributor.remove(task.taskId);
      const f = flights.get(task.taskId);
      if (!f) continue;
      flights.drop(f);
      balancer.release(f.collectorId, task.taskId);
      this.#port.cancel(f.collectorId, task.taskId, f.attempt, reason);
      dispatcher.freed(f.collectorId);
    }
    return open.length;
  }

  /** Carries out what the ledger decided. */
  #after(d: AfterFailure | undefined, f: Flight | undefined): void {
    if (d === undefined) return;
    const { aggregator, distributor, dispatcher, counters, clock } = this.#p;
    const { entry } = d;
    const { task } = entry;
    if (f && d.kind !== "lost") {
      aggregator.abandonPart(task.correlationId, task.taskId, f.collectorId, f.attempt);
    }
    if (d.kind === "expired") distributor.recordTimedOut(task);
    else if (d.kind === "give-up") this.endWithError(entry, d.error);
    else if (d.kind === "lost") {
      counters.lost++;
      distributor.recordFailed(task);
      const owner = entry.owner as string;
      const r = errorResult(task, owner, d.error, clock.now(), f?.dispatchedAt, f?.nextSeq ?? 0);
      aggregator.addResult(r);
    } else {
      counters.resend(f?.collectorId);
      try {
        dispatcher.submit(entry);
      } catch (err) {
        this.endWithError(entry, MeshError.from(err));
      }
      dispatcher.schedulePump();
    }
  }
}
