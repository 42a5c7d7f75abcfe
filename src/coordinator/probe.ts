import { createInbox, type NatsConnection } from "@nats-io/nats-core";
import type { ProbeOutcome } from "./failure-detector.js";
import { connectionInboxPrefix } from "../inbox.js";

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
    const sub = nc.subscribe(createInbox(connectionInboxPrefix(nc)), {
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
