import type { NatsConnection } from "@nats-io/nats-core";
import type { Logger } from "../telemetry/logger.js";
import type { Subjects } from "../../subjects/index.js";
import type { Clock } from "../clock.js";
import type { CapabilityRouter, RouterChange } from "../router/index.js";
import type { FailureDetector, Verdict } from "./failure-detector.js";
import type { FlightTable } from "./flights.js";
import { followLink, type LinkChange } from "../link.js";
import { probeInstance, type ProbeTimes } from "./probe.js";
import type { Counters } from "./report.js";

export interface LivenessParts {
  readonly clock: Clock;
  readonly router: CapabilityRouter;
  readonly flights: FlightTable;
  readonly detector: FailureDetector;
  readonly counters: Counters;
}

/** What liveness needs done by the coordinator. */
export interface LivenessPort {
  /** An instance is gone: move its work, report its parts lost. */
  failInstance(v: Verdict): void;
  /** An instance came back as a new incarnation: its attempts in flight are re-sent. */
  restarted(id: string): void;
  /** An instance left or changed: the dispatcher may place on it again, the balancer forgets it. */
  freed(id: string): void;
  forget(id: string): void;
  /** Log once per key. */
  warnOnce(key: string, msg: string, detail: string | undefined): void;
  /** True once the coordinator is stopping: outcomes that arrive then change nothing. */
  stopped(): boolean;
}

export interface LivenessOptions {
  readonly probe: ProbeTimes;
  /** The sweep timer's period: a sweep later than this by more than the tolerance was a stall. */
  readonly sweepIntervalMs: number;
  readonly logger: Logger;
}

/**
 * The failure detector's edge: measures the coordinator's own lag (how late its sweep timer
 * fires), follows the connection, sends probes on instances' direct subjects and reports how they
 * end, and logs the panic threshold's changes. The detector decides; this carries it out.
 */
export interface LivenessDeps {
  readonly nc: NatsConnection;
  readonly subjects: Subjects;
  readonly parts: LivenessParts;
  readonly port: LivenessPort;
  readonly opts: LivenessOptions;
}

export class Liveness {
  readonly #d: LivenessDeps;
  #lastSweep: number | undefined;

  constructor(d: LivenessDeps) {
    this.#d = d;
  }

  /**
   * First thing on each sweep: how late it fired. True after a stall of the event loop: attempt
   * deadlines have moved by the stall, and the sweep should judge nothing now (what arrived during
   * the stall is read first).
   */
  stalled(now: number): boolean {
    const t = performance.now();
    const last = this.#lastSweep;
    this.#lastSweep = t;
    if (last === undefined) return false;
    const lag = t - last - this.#d.opts.sweepIntervalMs;
    if (!this.#d.parts.detector.stalled(now, lag)) return false;
    this.#d.parts.flights.extendAll(Math.round(lag));
    return true;
  }

  /** Judges overdue and silent instances: probes them, logs the panic threshold's changes. */
  sweep(now: number): void {
    const { router, flights, detector } = this.#d.parts;
    if (detector.disconnected) return;
    const overdue = router.overdue(detector.staleAge(now));
    const hasWork = (id: string) => flights.hasWork(id);
    const d = detector.sweep(now, { overdue, routable: router.routable, hasWork });
    if (d.panic?.change === "entered") {
      this.#d.opts.logger.warn(
        { overdue: d.panic.overdue, routable: d.panic.routable },
        "panic: too many collectors look stale at once; routing to all of them, failing only those proven gone",
      );
    } else if (d.panic?.change === "left") {
      this.#d.opts.logger.info(
        { overdue: d.panic.overdue, routable: d.panic.routable },
        "panic over: stale collectors are judged one by one again",
      );
    }
    for (const id of d.probe) this.probe(id);
  }

  /** A no-responders status for an attempt on `collectorId`: probed before anything moves. */
  noResponders(collectorId: string, now: number): void {
    const id = this.#d.parts.detector.noResponders(collectorId, now);
    if (id !== undefined) this.probe(id);
  }

  /** An advert change the router applied: a deleted advert is the collector's own word. */
  routerChange(c: RouterChange): void {
    const { detector, counters } = this.#d.parts;
    if (c.kind !== "stale" && c.kind !== "left") {
      if (c.restarted === true) this.#d.port.restarted(c.id);
      this.#d.port.freed(c.id);
      return;
    }
    if (!this.#d.port.stopped()) {
      // A watcher that marks stale itself has judged already.
      const reason = c.reason ?? "heartbeat stale";
      this.#d.port.failInstance(c.kind === "left" ? detector.left(c.id) : { id: c.id, reason });
    }
    if (c.kind === "left") {
      this.#d.port.forget(c.id);
      detector.forget(c.id);
      counters.resentFrom.delete(c.id);
    }
  }

  /**
   * An empty message on an instance's direct subject: collectors answer it empty. A 503 alone
   * proves nothing while an answer may follow (probe.ts): anyone can send one.
   */
  probe(id: string): void {
    // The verdict is about the incarnation probed: one restarted meanwhile is not judged by it.
    const probed = this.#d.parts.router.get(id)?.advert.startedAt;
    void probeInstance(this.#d.nc, this.#d.subjects.collectorTask(id), this.#d.opts.probe).then(
      (outcome) => {
        if (this.#d.port.stopped()) return;
        const { detector, router, clock } = this.#d.parts;
        const v = detector.probed(id, outcome, clock.now());
        const restarted = router.get(id)?.advert.startedAt !== probed;
        if (v === "forged") {
          this.#d.port.warnOnce(
            `forged503:${id}`,
            "no-responders for a live collector ignored",
            id,
          );
        } else if (v === "alive") {
          router.touch(id);
        } else if (v !== undefined && !restarted) {
          this.#d.port.failInstance(v);
        }
      },
    );
  }

  /** While disconnected nothing is judged; on reconnect attempt deadlines move by the outage. */
  follow(): Promise<void> {
    const { nc, port } = this.#d;
    return followLink(
      nc,
      (change) => this.#onLink(change),
      () => port.stopped(),
    );
  }

  #onLink(change: LinkChange): void {
    const { detector, flights, clock } = this.#d.parts;
    if (change === "disconnect") detector.disconnect(clock.now());
    else if (detector.disconnected) {
      const outageMs = detector.reconnect(clock.now());
      flights.extendAll(outageMs, true);
      this.#d.opts.logger.warn({ outageMs }, "NATS reconnected");
    }
  }
}
