/**
 * A hostile flood, as a full-rights client on an open mesh can send it: messages that are deeply
 * nested, hold huge strings, have the wrong types, are cut short, or look valid (results for
 * tasks nobody sent, tasks past their deadline or for capabilities nobody has), at a fixed rate,
 * round-robin over every subject a mesh process reads: each collector's direct subject, the plain
 * path, the coordinator's result inbox, the api, the advert bucket, the submissions stream and a
 * submitter's results subject. Messages to a task subject or the api carry a reply subject of the
 * flood's own, and every one of them is answered (a typed error, a refusal, a probe's answer):
 * `replies` counts them.
 *
 * Used by test/security/flood.test.ts (20,000 messages) and the bench's flood phase (100,000, from
 * a child process: `bench/flood.ts --attacker <url> <targets json> <total> <per second>`).
 */
import { createInbox, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { encode as mpEncode } from "@msgpack/msgpack";
import { connect } from "@nats-io/transport-node";
import { headers } from "@nats-io/nats-core";
import { MeshHeaders, Subjects } from "../subjects/index.js";
import { deepArrays, deepMaps } from "./hostile.js";

export interface FloodTargets {
  prefix: string;
  coordinatorId: string;
  collectorIds: string[];
  /** The submitter whose results subject is flooded. */
  owner: string;
}

export const FLOOD_SUBJECTS = [
  "direct",
  "plain",
  "inbox",
  "api",
  "advert",
  "submit",
  "results",
] as const;
export type FloodSubject = (typeof FLOOD_SUBJECTS)[number];

export const FLOOD_KINDS = [
  "deep",
  "huge-string",
  "wrong-type",
  "wrong-fields",
  "truncated",
  "valid-looking",
] as const;
export type FloodKind = (typeof FLOOD_KINDS)[number];

export interface FloodCounts {
  sent: number;
  /** Sent with a reply subject (task subjects, api): each gets one answer. */
  withReply: number;
  bySubject: Record<FloodSubject, number>;
  /** By subject and kind: `inbox:valid-looking`, `api:deep`, … */
  byTarget: Record<string, number>;
  bytes: number;
  seconds: number;
}

/** One hostile body of `kind` for `subject`; `i` varies ids and sizes. */
export function hostileBody(subject: FloodSubject, kind: FloodKind, i: number): Uint8Array {
  const now = Date.now();
  const id = `flood-${i.toString(36)}`;
  switch (kind) {
    case "deep":
      return i % 2 === 0 ? deepArrays(2000 + (i % 5) * 1000) : deepMaps(1000 + (i % 5) * 500);
    case "huge-string": {
      // Mostly 8 KB; one in ten 128 KB (an advert's bound is 16 KiB, a task's 256 KiB).
      const n = i % 10 === 0 ? 128 * 1024 : 8 * 1024;
      return mpEncode({ taskId: "x".repeat(n), correlationId: id });
    }
    case "wrong-type":
      return mpEncode([i % 3 === 0 ? "a string" : i, Array.from({ length: 64 }, (_, k) => k)]);
    case "wrong-fields":
      return mpEncode({ taskId: i, correlationId: [id], priority: "high", attempt: -1, seq: "0" });
    case "truncated": {
      const full = mpEncode({ taskId: id, correlationId: id, payload: "y".repeat(200) });
      return full.subarray(0, full.length - 50);
    }
    case "valid-looking":
      return validLooking(subject, id, now);
  }
}

/** What passes the schema on `subject` but changes nothing. */
function validLooking(subject: FloodSubject, id: string, now: number): Uint8Array {
  const result = {
    taskId: id,
    correlationId: id,
    collectorId: "flood-collector",
    seq: 0,
    final: true,
    status: "ok",
    payload: { forged: true },
    producedAt: now,
    processingMs: 1,
    attempt: 0,
  };
  const task = {
    taskId: id,
    correlationId: id,
    requiredCapabilities: 0x01,
    domain: "process",
    priority: 1,
    createdAt: now - 10_000,
    deadline: now - 5_000, // past: refused with TIMEOUT
    attempt: 0,
  };
  switch (subject) {
    case "direct":
    case "plain":
      return mpEncode(task);
    case "api":
      // A capability nobody advertises: refused at once (NO_CAPABLE_COLLECTOR).
      return mpEncode({ requiredCapabilities: 0x20, timeoutMs: 1000, correlationId: id });
    case "advert":
      // A valid advert under another key than its id: refused by the watcher.
      return mpEncode({
        id: `${id}-other`,
        type: "ghost",
        capabilities: 0x7f,
        version: "0",
        health: "healthy",
        maxConcurrency: 1000,
        inFlight: 0,
        labels: {},
        startedAt: now,
        heartbeatSeq: 1,
        heartbeatAt: now,
      });
    case "submit":
      return mpEncode({ correlationId: id, owner: 7, mode: "one" });
    case "inbox":
    case "results":
      return mpEncode(result);
  }
}

export class HostileFlood {
  readonly #nc: NatsConnection;
  readonly #t: FloodTargets;
  readonly #s: Subjects;
  readonly #sub: Subscription;
  replies = 0;

  constructor(nc: NatsConnection, targets: FloodTargets) {
    this.#nc = nc;
    this.#t = targets;
    this.#s = new Subjects(targets.prefix);
    this.#sub = nc.subscribe(createInbox(), {
      callback: () => {
        this.replies++;
      },
    });
  }

  /** Sends `total` messages at `perSecond`, spread evenly; resolves once all are flushed. */
  async run(total: number, perSecond: number): Promise<FloodCounts> {
    const counts: FloodCounts = {
      sent: 0,
      withReply: 0,
      bySubject: Object.fromEntries(FLOOD_SUBJECTS.map((s) => [s, 0])) as FloodCounts["bySubject"],
      byTarget: {},
      bytes: 0,
      seconds: 0,
    };
    const t0 = performance.now();
    while (counts.sent < total) {
      const due = Math.min(total, Math.ceil(((performance.now() - t0) / 1000) * perSecond));
      for (; counts.sent < due; counts.sent++) this.#send(counts.sent, counts);
      await this.#nc.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    await this.#nc.flush();
    counts.seconds = Math.round(performance.now() - t0) / 1000;
    return counts;
  }

  stop(): void {
    this.#sub.unsubscribe();
  }

  #send(i: number, c: FloodCounts): void {
    const subject = FLOOD_SUBJECTS[i % FLOOD_SUBJECTS.length] as FloodSubject;
    const kind = FLOOD_KINDS[
      Math.floor(i / FLOOD_SUBJECTS.length) % FLOOD_KINDS.length
    ] as FloodKind;
    const data = hostileBody(subject, kind, i);
    const s = this.#s;
    const t = this.#t;
    const reply = this.#sub.getSubject();
    const id = `flood-${i.toString(36)}`;
    switch (subject) {
      case "direct": {
        const target = t.collectorIds[i % t.collectorIds.length] as string;
        this.#nc.publish(s.collectorTask(target), data, { reply });
        c.withReply++;
        break;
      }
      case "plain":
        this.#nc.publish(s.task("process", "normal"), data, { reply });
        c.withReply++;
        break;
      case "api":
        this.#nc.publish(s.api(i % 3 === 0 ? "status" : "submit"), data, { reply });
        c.withReply++;
        break;
      case "inbox":
        this.#nc.publish(s.result(t.coordinatorId, id, 0), data);
        break;
      case "advert":
        this.#nc.publish(`$KV.${s.bucket()}.${id}`, data);
        break;
      case "submit":
        this.#nc.publish(s.submit("normal", `flood${i % 7}`), data);
        break;
      case "results": {
        const h = headers();
        h.set(MeshHeaders.Record, "result");
        this.#nc.publish(s.results(t.owner, id), data, { headers: h });
        break;
      }
    }
    c.bySubject[subject]++;
    c.byTarget[`${subject}:${kind}`] = (c.byTarget[`${subject}:${kind}`] ?? 0) + 1;
    c.bytes += data.length;
  }
}

/** The attacker as its own process: floods, then prints its counts and replies as JSON. */
async function attacker(argv: string[]): Promise<void> {
  const [url, targets, total, rate] = argv;
  const nc = await connect({ servers: url as string, name: "flood" });
  const flood = new HostileFlood(nc, JSON.parse(targets as string) as FloodTargets);
  await nc.flush();
  process.stdout.write("ready\n");
  const counts = await flood.run(Number(total), Number(rate));
  // Answers still on their way: wait until none came for half a second.
  let last = -1;
  while (last !== flood.replies) {
    last = flood.replies;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stdout.write(`${JSON.stringify({ ...counts, replies: flood.replies })}\n`);
  await nc.close();
}

if (process.argv.includes("--attacker")) {
  await attacker(process.argv.slice(process.argv.indexOf("--attacker") + 1));
}
