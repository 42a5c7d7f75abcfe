import { createInbox, type NatsConnection } from "@nats-io/nats-core";
import type { Subjects } from "../../subjects/index.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../telemetry/logger.js";
import type { FlightTable } from "./flights.js";
import type { FailureDetector, ProbeOutcome, Verdict } from "./failure-detector.js";

export interface ProbeTimes {
  /** How long the probe waits for any answer. */
  timeoutMs: number;
  /** After a no-responders status, how long an answer may still prove the instance alive. */
  confirmMs: number;
}

/**
 * Probes an instance's direct subject with an empty message; collectors answer it empty.
 *
 * The server sends a no-responders status (503) only when nobody subscribes, and then no answer
 * follows. Anyone who reads the direct subject also reads the probe's reply subject and can send
 * a 503 there first, so a 503 is not taken at once (nats.js `request()` would): an answer that
 * arrives within `confirmMs` of it proves the instance alive (and the 503 forged). Only a 503
 * with no answer after it, or no answer at all, counts against the instance.
 */
export function probeInstance(
  nc: NatsConnection,
  subject: string,
  times: ProbeTimes,
): Promise<ProbeOutcome> {
  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    let confirm: NodeJS.Timeout | undefined;
    const sub = nc.subscribe(createInbox(inboxPrefixOf(nc)), {
      callback: (err, msg) => {
        if (err) return end("timeout");
        if (msg.data.length === 0 && msg.headers?.code === 503) {
          confirm ??= setTimeout(() => end("no-responders"), times.confirmMs);
          return;
        }
        end("answered");
      },
    });
    const overall = setTimeout(
      () => end(confirm === undefined ? "timeout" : "no-responders"),
      Math.max(times.timeoutMs, times.confirmMs),
    );
    function end(outcome: ProbeOutcome): void {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      clearTimeout(confirm);
      sub.unsubscribe();
      resolve(outcome);
    }
    try {
      nc.publish(subject, new Uint8Array(0), { reply: sub.getSubject() });
    } catch {
      end("timeout"); // closed or draining: nothing can be told about the instance
    }
  });
}

/** What probes need of the coordinator. */
export interface ProberDeps {
  readonly nc: NatsConnection;
  readonly subjects: Subjects;
  readonly times: ProbeTimes;
  readonly detector: FailureDetector;
  /** True once the coordinator has stopped: outcomes no longer count. */
  stopped(): boolean;
  /** A probe proved the instance gone. */
  gone(v: Verdict): void;
  /** A probe answered for an instance a no-responders status said was gone. */
  forged(id: string): void;
}

/**
 * Sends probes and hands their outcome to the failure detector, whose verdict it carries out;
 * tells the detector when NATS is away (no answer or heartbeat can arrive then).
 */
export class Prober {
  readonly #d: ProberDeps;

  constructor(deps: ProberDeps) {
    this.#d = deps;
  }

  probe(id: string): void {
    const d = this.#d;
    void probeInstance(d.nc, d.subjects.collectorTask(id), d.times).then((outcome) => {
      if (d.stopped()) return;
      const v = d.detector.probed(id, outcome);
      if (v === "forged") d.forged(id);
      else if (v) d.gone(v);
    });
  }

  /** While disconnected nothing is judged; on reconnect attempt deadlines move by the outage. */
  async followConnection(clock: Clock, flights: FlightTable, logger: Logger): Promise<void> {
    const { nc, detector } = this.#d;
    for await (const st of nc.status()) {
      if (this.#d.stopped()) break;
      const now = clock.now();
      if (st.type === "disconnect") detector.disconnect(now);
      else if (st.type === "reconnect" && detector.disconnected) {
        const outageMs = detector.reconnect(now);
        flights.extendAll(outageMs);
        logger.warn({ outageMs }, "NATS reconnected");
      }
    }
  }
}

/**
 * The connection's inbox prefix (nats.js `inboxPrefix`): on a secured mesh it is the only inbox
 * the identity may read. nats.js keeps it in the connection's public `options`.
 */
function inboxPrefixOf(nc: NatsConnection): string | undefined {
  const options: unknown = (nc as { options?: unknown }).options;
  if (typeof options !== "object" || options === null) return undefined;
  const prefix = (options as { inboxPrefix?: unknown }).inboxPrefix;
  return typeof prefix === "string" && prefix !== "" ? prefix : undefined;
}
