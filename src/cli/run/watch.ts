import type { Msg } from "@nats-io/nats-core";
import { decode } from "../../codec.js";
import { InvalidMessageError } from "../../errors.js";
import { CollectorEvent, FailoverEvent, Subjects, formatCaps } from "../../../subjects/index.js";
import { commonOptions } from "../common.js";
import { connectNats } from "../connect.js";
import { ExitCode } from "../errors.js";
import { clockTime, jsonLine } from "../format.js";
import { waitForShutdown, withTimeout } from "../lifecycle.js";

export type WatchedEvent =
  ({ event: "collector" } & CollectorEvent) | ({ event: "failover" } & FailoverEvent);

export async function run(values: Record<string, unknown>): Promise<number> {
  const common = commonOptions(values);
  // Listen from the start: a signal during start-up stops the command once it has started.
  const shutdown = waitForShutdown();
  const json = values.json === true;
  const subjects = new Subjects(common.prefix);
  const nc = await connectNats(common, {
    name: "collector-mesh watch",
    longRunning: true,
    onStatus: (what, server) => process.stderr.write(`NATS ${what} (${server})\n`),
  });
  const sub = nc.subscribe(subjects.events(), {
    callback: (err, msg) => {
      if (err) return;
      const e = decodeEvent(subjects, msg);
      if (e instanceof Error) {
        process.stderr.write(`ignored an invalid event on ${msg.subject}: ${e.message}\n`);
      } else if (e) {
        process.stdout.write(`${json ? jsonLine(e) : formatEvent(e)}\n`);
      }
    },
  });
  await nc.flush();
  process.stderr.write(`watching ${subjects.events()} (Ctrl-C to stop)\n`);
  await shutdown;
  sub.unsubscribe();
  await withTimeout(3000, () => nc.close());
  return ExitCode.Ok;
}

/** The event on `msg`, an InvalidMessageError, or undefined for a subject that is no event. */
export function decodeEvent(
  subjects: Subjects,
  msg: Pick<Msg, "subject" | "data">,
): WatchedEvent | InvalidMessageError | undefined {
  const parsed = subjects.parse(msg.subject);
  try {
    if (parsed?.kind === "collectorEvent") {
      return { event: "collector", ...decode(CollectorEvent, msg.data, { subject: msg.subject }) };
    }
    if (parsed?.kind === "failoverEvent") {
      return { event: "failover", ...decode(FailoverEvent, msg.data, { subject: msg.subject }) };
    }
  } catch (err) {
    if (err instanceof InvalidMessageError) return err;
    throw err;
  }
  return undefined;
}

/** One line: time, then what happened. */
export function formatEvent(e: WatchedEvent): string {
  if (e.event === "failover") {
    // A target is named only when the observer's tasks moved and another instance could take
    // them: its absence (nothing of the observer's moved) says nothing about the other instances.
    const target = e.failoverTargetId ? ` → ${e.failoverTargetId}` : "";
    const n = e.taskIds.length;
    return (
      `${clockTime(e.timestamp)}  failover   ${e.failedCollectorId}${target}: ` +
      `${n} task${n === 1 ? "" : "s"} moved (${e.reason})`
    );
  }
  const health =
    e.previousHealth && e.previousHealth !== e.health
      ? `${e.previousHealth} → ${e.health}`
      : e.health;
  const caps = e.advert ? `  ${e.advert.type} ${formatCaps(e.advert.capabilities)}` : "";
  return `${clockTime(e.at)}  collector  ${e.collectorId} ${e.kind} (${health})${caps}`;
}
