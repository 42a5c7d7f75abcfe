import type { NatsConnection, Subscription } from "@nats-io/nats-core";
import { decode, encode } from "../../codec.js";
import {
  FailoverEvent,
  StatusReply,
  StatusRequest,
  type Subjects,
} from "../../../subjects/index.js";
import { CliError } from "../errors.js";
import { formatMs } from "../format.js";
import type { DemoChildren } from "./children.js";

/** The demo's processes: a coordinator and four collectors. */
export const COORDINATOR_ID = "coordinator-1";
export const COLLECTORS = [
  { id: "procmond-1", type: "procmond" },
  { id: "procmond-2", type: "procmond" },
  { id: "netmond-1", type: "netmond" },
  { id: "fsmond-1", type: "fsmond" },
] as const;
/** The instance SIGKILLed halfway through. */
export const VICTIM = "procmond-1";
/** Heartbeats of the demo's collectors, and the TTL after which an advert is stale. */
const HEARTBEAT = "500ms";
const ADVERT_TTL = "2s";
const READY_TIMEOUT_MS = 60_000;

/** Starts the coordinator and the collectors as processes of this same command. */
export function startDemoProcesses(
  children: DemoChildren,
  opts: { url: string; prefix: string; creds: string | undefined; fsRoot: string },
): void {
  const base = ["--nats-url", opts.url, "--prefix", opts.prefix, "--log-level", "warn"];
  if (opts.creds) base.push("--creds", opts.creds);
  children.start(COORDINATOR_ID, [
    "coordinator",
    "--id",
    COORDINATOR_ID,
    "--advert-ttl",
    ADVERT_TTL,
    "--heartbeat",
    HEARTBEAT,
    "--grace",
    "2s",
    ...base,
  ]);
  for (const c of COLLECTORS) {
    const roots = c.type === "fsmond" ? ["--roots", opts.fsRoot] : [];
    children.start(c.id, [
      "collector",
      "--type",
      c.type,
      "--id",
      c.id,
      "--heartbeat",
      HEARTBEAT,
      "--advert-ttl",
      ADVERT_TTL,
      ...roots,
      ...base,
    ]);
  }
}

/** Calls `fn` with each failover event. */
export function followFailovers(
  nc: NatsConnection,
  subjects: Subjects,
  fn: (e: FailoverEvent) => void,
): Subscription {
  return nc.subscribe(subjects.failoverEvent(), {
    callback: (err, msg) => {
      if (err) return;
      try {
        fn(decode(FailoverEvent, msg.data, { subject: msg.subject }));
      } catch {
        // not a valid event: not counted
      }
    },
  });
}

/** Polls `<p>.api.status` until the coordinator answers and sees every collector healthy. */
export async function waitUntilReady(
  nc: NatsConnection,
  subjects: Subjects,
  children: DemoChildren,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const want = COLLECTORS.map((c) => c.id);
  let seen: string[] = [];
  for (;;) {
    signal.throwIfAborted();
    const dead = children.all().find((c) => c.exit !== undefined);
    if (dead) {
      const tail = children.logTail(dead.name, 5).join(" | ");
      throw new CliError(
        `${dead.name} exited during start-up (${dead.exit ?? "?"})${tail ? `: ${tail}` : ""}`,
      );
    }
    try {
      const msg = await nc.request(subjects.api("status"), encode(StatusRequest, {}), {
        timeout: 1000,
      });
      const reply = decode(StatusReply, msg.data);
      seen = reply.collectors.filter((c) => c.health === "healthy").map((c) => c.advert.id);
      if (want.every((id) => seen.includes(id))) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) {
      throw new CliError(
        `the demo's processes were not ready within ${formatMs(READY_TIMEOUT_MS)} ` +
          `(collectors seen by the coordinator: ${seen.join(", ") || "none"})`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
