/**
 * Level 1, an open mesh. The attacker in every test is a plain connection with full rights on an
 * unauthenticated nats-server (what anyone who reaches the port has): it reads every task on
 * `<p>.collector.*.task`, with its reply subject, and answers before the collector does. Against
 * a real server and a real Coordinator and Collectors, each answer that does not fit the attempt
 * in flight changes nothing and is counted by its reason; the real results reach the submitter.
 *
 * What level 1 cannot stop is said in SECURITY.md: the attempt token and the instance id are on
 * the subject the attacker reads, so an answer that fits (right task, attempt and instance) is
 * taken. Signed results (signed-results.test.ts) drop those too.
 */
import { describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import type { Coordinator } from "../../src/coordinator/index.js";
import { ErrorCode, SourceCaps, Subjects, type AggregatedResult } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { routable, useMesh } from "../support/mesh-fixture.js";
import {
  Attacker,
  forgedResult,
  publishErrorReply,
  publishNoResponders,
  withAttempt,
  type OnProbe,
  type OnTask,
} from "./attacker.js";

const PROC = SourceCaps.PROCESS;
const TASKS = 20;
/** The collectors answer after this long: the attacker's answer always arrives first. */
const HANDLER_MS = 150;

let seq = 0;
const mesh = useMesh();

interface Setup {
  s: Subjects;
  coord: Coordinator;
  /** Failover events the coordinator emitted. */
  failovers: () => number;
}

/** A coordinator (in memory) and two collectors, `proc-a` and `proc-b`, each on its own connection. */
async function setup(probeConfirmMs?: number): Promise<Setup> {
  const prefix = `open${++seq}`;
  const s = new Subjects(prefix);
  const coord = await mesh.coordinator({
    prefix,
    durable: false,
    advertTtlMs: 1500,
    ...(probeConfirmMs !== undefined ? { probeConfirmMs } : {}),
  });
  let failovers = 0;
  coord.onEvent((e) => {
    if (e.kind === "failover") failovers++;
  });
  for (const id of ["proc-a", "proc-b"]) {
    await mesh.collector({
      id,
      maxConcurrency: TASKS,
      prefix,
      ttlMs: 1500,
      handler: async (payload) => {
        await new Promise((r) => setTimeout(r, HANDLER_MS));
        return { echo: payload, by: id };
      },
    });
  }
  await routable(coord, ["proc-a", "proc-b"]);
  return { s, coord, failovers: () => failovers };
}

async function attacker(s: Subjects, on: { task?: OnTask; probe?: OnProbe }): Promise<Attacker> {
  const nc: NatsConnection = await mesh.connect("attacker");
  const a = new Attacker(nc, s, on);
  await a.ready();
  mesh.cleanup(() => Promise.resolve(a.stop()));
  return a;
}

/** Submits TASKS tasks at once; resolves with every verdict. */
function submitAll(coord: Coordinator): Promise<AggregatedResult[]> {
  return Promise.all(
    Array.from({ length: TASKS }, (_, i) =>
      coord.submit({ requiredCapabilities: PROC, payload: i }, { timeoutMs: 10_000 }),
    ),
  );
}

/** Every task completed with the real collector's result for its own payload. */
function expectAllReal(verdicts: AggregatedResult[]): void {
  expect(verdicts.map((v) => v.status)).toEqual(verdicts.map(() => "complete"));
  verdicts.forEach((v, i) => {
    expect(v.results).toHaveLength(1);
    const r = v.results[0];
    expect(r?.status).toBe("ok");
    expect(r?.payload).toEqual({ echo: i, by: r?.collectorId });
  });
}

describe("security - level 1: answers that do not fit the attempt in flight change nothing", () => {
  it("security - open mesh: a result naming another instance (a real one, or none) is dropped as other-instance", async () => {
    const { s, coord } = await setup();
    const a = await attacker(s, {
      task: (seen, nc) => {
        const other = seen.collectorId === "proc-a" ? "proc-b" : "proc-a";
        nc.publish(seen.reply, forgedResult(seen, { collectorId: other }));
        nc.publish(seen.reply, forgedResult(seen, { collectorId: "ghost-1" }));
      },
    });
    const verdicts = await submitAll(coord);
    expectAllReal(verdicts);
    expect(a.tasksSeen).toBe(TASKS);
    expect(coord.stats().coordinator.rejected["other-instance"]).toBe(2 * TASKS);
  });

  it("security - open mesh: a result without the attempt token, or for another attempt, is dropped by reason", async () => {
    const { s, coord } = await setup();
    await attacker(s, {
      task: (seen, nc) => {
        nc.publish(withAttempt(seen.reply, undefined), forgedResult(seen));
        const next = seen.task.attempt + 1;
        nc.publish(withAttempt(seen.reply, next), forgedResult(seen, { attempt: next }));
        // The right token, a body that claims another attempt.
        nc.publish(seen.reply, forgedResult(seen, { attempt: next }));
      },
    });
    expectAllReal(await submitAll(coord));
    const rejected = coord.stats().coordinator.rejected;
    expect(rejected["no-attempt-token"]).toBe(TASKS);
    expect(rejected["other-attempt"]).toBe(2 * TASKS);
  });

  it("security - open mesh: a result, an error reply and a 503 for a task not in flight are dropped as not-in-flight", async () => {
    const { s, coord } = await setup();
    const finished: string[] = [];
    await attacker(s, {
      task: (seen, nc) => {
        // A task id nobody sent, on this coordinator's result inbox.
        const made = seen.reply.replace(seen.task.taskId, `${seen.task.taskId}x`);
        nc.publish(
          made,
          forgedResult({ ...seen, task: { ...seen.task, taskId: `${seen.task.taskId}x` } }),
        );
        publishErrorReply(nc, made, ErrorCode.HandlerError);
        publishNoResponders(nc, made);
        finished.push(seen.reply);
      },
    });
    expectAllReal(await submitAll(coord));
    const rejected = () => coord.stats().coordinator.rejected["not-in-flight"];
    expect(rejected()).toBe(3 * TASKS);
    // After the tasks finished: the right subjects, nothing in flight there any more.
    const nc = await mesh.connect("late-attacker");
    for (const reply of finished) {
      publishErrorReply(nc, reply, ErrorCode.HandlerError);
      publishNoResponders(nc, reply);
    }
    await nc.flush();
    await until(() => rejected() === 5 * TASKS, 5000, "late answers counted");
    expect(coord.stats().coordinator.failovers).toBe(0);
  });

  it("security - open mesh: a forged 503 for a live instance fails nothing over, even with the probe's answer forged", async () => {
    // The instance's real answer must come within the confirm window after the forged one; wide
    // enough here that a stalled event loop does not close it first.
    const { s, coord, failovers } = await setup(2000);
    const a = await attacker(s, {
      task: (seen, nc) => publishNoResponders(nc, seen.reply),
      // The coordinator probes the instance before believing the 503: forge that answer too.
      probe: (reply, _id, nc) => publishNoResponders(nc, reply),
    });
    const verdicts = await submitAll(coord);
    expectAllReal(verdicts);
    const c = coord.stats().coordinator;
    expect(a.probesSeen).toBeGreaterThan(0);
    expect(c.noResponders).toBe(TASKS);
    expect(c.forgedNoResponders).toBeGreaterThan(0);
    expect(failovers()).toBe(0);
    expect(c.failovers).toBe(0);
    expect(c.resent).toBe(0);
  });
});

describe("security - level 1: the advert bucket is anyone's to write", () => {
  it("security - open mesh: a forged advert delete is believed until the collector's next heartbeat; its tasks move, none is lost", async () => {
    const { s, coord, failovers } = await setup();
    const kv = await new Kvm(await mesh.connect("kv-attacker")).open(s.bucket());
    let deleted = false;
    await attacker(s, {
      task: (seen) => {
        if (deleted || seen.collectorId !== "proc-a") return;
        deleted = true;
        void kv.delete("proc-a");
      },
    });
    const left: string[] = [];
    coord.router.follow((u) => {
      if (u.kind === "left") left.push(u.id);
    });
    const verdicts = await submitAll(coord);
    expectAllReal(verdicts);
    expect(deleted).toBe(true);
    // What level 1 does with it: proc-a was taken for gone, and came back with its next heartbeat.
    expect(left).toEqual(["proc-a"]);
    expect(failovers()).toBeGreaterThanOrEqual(1);
    await until(() => coord.router.get("proc-a")?.health === "healthy", 5000, "proc-a back");
    expect(coord.stats().coordinator.lost).toBe(0);
  });
});
