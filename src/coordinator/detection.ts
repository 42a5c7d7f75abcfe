import type { NatsConnection } from "@nats-io/nats-core";
import type { Subjects } from "../../subjects/index.js";
import type { RouterChange } from "../router/index.js";
import type { CoreParts } from "./parts.js";
import type { Attempts } from "./attempts.js";
import type { Dispatcher } from "./dispatcher.js";
import type { CoordinatorEvents } from "./events.js";
import { probeInstance, type ProbeTimes } from "./probe.js";

export interface DetectionParts extends CoreParts {
  readonly attempts: Attempts;
  readonly dispatcher: Dispatcher;
  readonly events: CoordinatorEvents;
}

/**
 * The failure detector's senses on NATS: router changes, no-responders statuses, probes of
 * instances' direct subjects, and the connection's outages. What they mean is the pure
 * FailureDetector's call; what follows from a verdict is the Attempts'.
 */
export class Detection {
  readonly #nc: NatsConnection;
  readonly #subjects: Subjects;
  readonly #p: DetectionParts;
  readonly #times: ProbeTimes;
  #stopped = false;

  constructor(nc: NatsConnection, subjects: Subjects, parts: DetectionParts, times: ProbeTimes) {
    this.#nc = nc;
    this.#subjects = subjects;
    this.#p = parts;
    this.#times = times;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** A 503 for an attempt in flight: probed before anything fails over, since anyone can send one. */
  noResponders(taskId: string, attempt: number | undefined): void {
    const f = this.#p.attempts.match(taskId, attempt);
    if (!f) return;
    this.#p.counters.noResponders++;
    const probe = this.#p.detector.noResponders(f.collectorId, this.#p.clock.now());
    if (probe !== undefined) this.probe(probe);
  }

  routerChange(c: RouterChange): void {
    const { detector, attempts, dispatcher, balancer, counters, clock } = this.#p;
    if (c.kind !== "stale" && c.kind !== "left") {
      detector.alive(c.id);
      if (c.restarted === true) attempts.restarted(c.id);
      dispatcher.freed(c.id);
      return;
    }
    const verdict = detector.stale(c.id, c.kind, clock.now());
    if (verdict && !this.#stopped) attempts.failInstance(verdict);
    if (c.kind === "left") {
      balancer.forget(c.id);
      detector.forget(c.id);
      counters.resentFrom.delete(c.id);
    }
  }

  /** On the sweep: deferred verdicts that are due, and probes of suspects with work. */
  sweep(now: number): void {
    const { detector, flights, router, attempts } = this.#p;
    const hasWork = (id: string) => flights.hasWork(id);
    const stillStale = (id: string) => router.get(id)?.health !== "healthy";
    const { fail, probe } = detector.sweep(now, router.suspects(), hasWork, stillStale);
    for (const v of fail) attempts.failInstance(v);
    for (const id of probe) this.probe(id);
  }

  /** An empty message on an instance's direct subject (probe.ts says what its outcome proves). */
  probe(id: string): void {
    const subject = this.#subjects.collectorTask(id);
    void probeInstance(this.#nc, subject, this.#times).then((outcome) => {
      if (this.#stopped) return;
      const v = this.#p.detector.probed(id, outcome);
      if (v === "forged") {
        this.#p.events.warnOnce(
          `forged503:${id}`,
          "no-responders for a live collector ignored",
          id,
        );
      } else if (v) this.#p.attempts.failInstance(v);
    });
  }

  /** While disconnected nothing is judged; on reconnect attempt deadlines move by the outage. */
  async follow(log: (outageMs: number) => void): Promise<void> {
    for await (const st of this.#nc.status()) {
      if (this.#stopped) break;
      const now = this.#p.clock.now();
      if (st.type === "disconnect") this.#p.detector.disconnect(now);
      else if (st.type === "reconnect" && this.#p.detector.disconnected) {
        const outageMs = this.#p.detector.reconnect(now);
        this.#p.flights.extendAll(outageMs);
        log(outageMs);
      }
    }
  }
}
