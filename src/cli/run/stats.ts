import type { NatsConnection } from "@nats-io/nats-core";
import { decode, encode } from "../../codec.js";
import { MeshError } from "../../errors.js";
import { PRIORITY_NAMES, StatsReply, StatsRequest, Subjects } from "../../../subjects/index.js";
import { commonOptions } from "../common.js";
import { connectNats } from "../connect.js";
import { CliError, ExitCode, isNoResponders, isRequestTimeout } from "../errors.js";
import { formatMs, jsonLine, table } from "../format.js";

const REQUEST_TIMEOUT_MS = 3000;

export async function run(values: Record<string, unknown>): Promise<number> {
  const common = commonOptions(values);
  const nc = await connectNats(common, { name: "collector-mesh stats" });
  try {
    const stats = await requestStats(nc, new Subjects(common.prefix));
    process.stdout.write(`${values.json === true ? jsonLine(stats) : formatStats(stats)}\n`);
    return ExitCode.Ok;
  } finally {
    await nc.close();
  }
}

/** One request on `<p>.api.stats`; CliError when no coordinator answers. */
export async function requestStats(nc: NatsConnection, subjects: Subjects): Promise<StatsReply> {
  const subject = subjects.api("stats");
  let msg;
  try {
    msg = await nc.request(subject, encode(StatsRequest, {}), { timeout: REQUEST_TIMEOUT_MS });
  } catch (err) {
    if (isNoResponders(err)) {
      throw new CliError(
        `no coordinator is serving ${subject}; start one with \`collector-mesh coordinator\``,
      );
    }
    if (isRequestTimeout(err)) {
      throw new CliError(`no reply on ${subject} within ${formatMs(REQUEST_TIMEOUT_MS)}`);
    }
    throw err;
  }
  const meshErr = MeshError.fromMsg(msg);
  if (meshErr) throw meshErr;
  return decode(StatsReply, msg.data, { subject });
}

type Obj = Readonly<Record<string, unknown>>;

/** The stats records are open on the wire: read a field only when it has the expected type. */
function obj(o: unknown, key: string): Obj {
  const v = (o as Obj | undefined)?.[key];
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}
function num(o: Obj, key: string): number | undefined {
  const v = o[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === "string" ? v : undefined;
}
function count(o: Obj, key: string): string {
  const v = num(o, key);
  return v === undefined ? "-" : String(v);
}

/** Counters, queue, then a table of the instances the balancer knows. */
export function formatStats(s: StatsReply): string {
  const c = obj(s, "coordinator");
  const b = s.balancing;
  const d = s.distribution;
  const r = s.routing;
  const resentFrom = obj(c, "resentFrom");
  const lines = [
    `coordinator ${s.coordinatorId}: strategy ${str(b, "strategy") ?? "-"}; ` +
      `${count(c, "submitted")} submitted, ${count(c, "resent")} re-sent, ` +
      `${count(c, "failovers")} failovers, ${count(c, "attemptTimeouts")} attempt timeouts, ` +
      `${count(c, "noCapable")} without a capable collector; ${count(c, "inFlight")} in flight`,
  ];
  const per = obj(d, "perPriority");
  const byPriority = [...PRIORITY_NAMES]
    .reverse()
    .map((p) => `${p} ${count(obj(per, p), "pending")}`)
    .join(", ");
  const p50 = num(d, "queueWaitP50Ms");
  const p99 = num(d, "queueWaitP99Ms");
  lines.push(
    `queue: ${count(d, "pending")} waiting for capacity (${byPriority}), ` +
      `${count(d, "rejected")} refused as overloaded; wait p50 ${p50 === undefined ? "-" : formatMs(p50)}, ` +
      `p99 ${p99 === undefined ? "-" : formatMs(p99)}`,
    `collectors: ${count(r, "total")} known (${count(r, "healthy")} healthy, ` +
      `${count(r, "degraded")} degraded, ${count(r, "unavailable")} unavailable)`,
  );
  const instances = Object.entries(obj(b, "instances")).sort(([a], [z]) =>
    a < z ? -1 : a > z ? 1 : 0,
  );
  if (instances.length === 0) {
    lines.push("", "no instance has had a task yet");
    return lines.join("\n");
  }
  const rows = instances.map(([id, raw]) => {
    const i = raw !== null && typeof raw === "object" ? (raw as Obj) : {};
    const latency = num(i, "latencyMs");
    const consecutive = num(i, "consecutiveFailures") ?? 0;
    return [
      id,
      str(i, "state") ?? "-",
      `${count(i, "load")}/${count(i, "capacity")}`,
      count(i, "assigned"),
      `${count(i, "failures")}${consecutive > 0 ? ` (${consecutive} in a row)` : ""}`,
      count(i, "ejections"),
      latency === undefined ? "-" : formatMs(latency),
      String(num(resentFrom, id) ?? 0),
    ];
  });
  lines.push(
    "",
    table(
      ["INSTANCE", "STATE", "LOAD", "ASSIGNED", "FAILURES", "EJECTIONS", "LATENCY", "RE-SENT"],
      rows,
      [3, 5, 6, 7],
    ),
  );
  const omitted = num(b, "instancesOmitted");
  if (omitted !== undefined && omitted > 0) {
    lines.push(`(${omitted} more instances not listed: busy or troubled ones are listed first)`);
  }
  return lines.join("\n");
}
