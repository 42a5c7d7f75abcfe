/**
 * Failure detection under load against a real nats-server: adverts of many collectors stopping
 * at once fail nothing over, while a collector that really died (SIGKILL: its direct subject
 * answers 503) still does; past the panic threshold even collectors that do not answer are kept;
 * below it, a frozen collector (SIGSTOP) is judged stale and comes back when it thaws.
 */
import { describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import type { Coordinator, CoordinatorEvent } from "../../src/coordinator/index.js";
import type { Collector, TaskHandler } from "../../src/collector/index.js";
import { ErrorCode, SourceCaps, type AggregatedResult } from "../../subjects/index.js";
import { killChild, until } from "../support/nats-server.js";
import { routable, useMesh } from "../support/mesh-fixture.js";

const PROC = SourceCaps.PROCESS;
/** Short, set explicitly: these tests are about what happens past it. */
const TTL = 1500;
const BEAT = 250;
let seq = 0;
const mesh = useMesh();

const prefix = () => `l${++seq}_${Date.now().toString(36)}`;

async function coordinator(p: string) {
  // Attempts may outlast the test's freezes: these tests are about liveness verdicts only.
  const c = await mesh.coordinator({ prefix: p, advertTtlMs: TTL, attemptTimeoutMs: 20_000 });
  const failedOver: string[] = [];
  c.onEvent((e: CoordinatorEvent) => {
    if (e.kind === "failover") failedOver.push(e.event.failedCollectorId);
  });
  return { c, failedOver };
}

/** Collectors in this process, all on one connection (their adverts share one hub). */
async function collectors(p: string, ids: string[], handler: TaskHandler): Promise<Collector[]> {
  const nc = await mesh.connect("fleet");
  mesh.cleanup(() => nc.close());
  return Promise.all(
    ids.map((id) => mesh.collector({ nc, id, prefix: p, handler, heartbeatMs: BEAT, ttlMs: TTL })),
  );
}

const child = (p: string, id: string, extra: { delayMs?: number; hang?: boolean } = {}) =>
  mesh.child({ id, prefix: p, heartbeatMs: BEAT, ttlMs: TTL, ...extra });

const healthy = (c: Coordinator, ids: string[]) => routable(c, ids, 10_000);

function byCollector(r: AggregatedResult) {
  return Object.fromEntries(r.results.map((x) => [x.collectorId, x]));
}

const freeze = (procs: ChildProcess[], signal: "SIGSTOP" | "SIGCONT") => {
  for (const proc of procs) proc.kill(signal);
};

describe("coordinator - failure detection under load", () => {
  it("coordinator - adverts of most of the fleet stopping at once fail nothing over, while a SIGKILLed collector with work still fails over", async () => {
    const p = prefix();
    const ids = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const quiet = await collectors(p, ids, async (_payload, ctx) => {
      await gate;
      return { by: ctx.collectorId };
    });
    const dead = await child(p, "dead", { hang: true });
    const { c, failedOver } = await coordinator(p);
    await healthy(c, [...ids, "dead"]);
    const pending = c.submit({ requiredCapabilities: PROC }, { mode: "all", timeoutMs: 25_000 });
    await until(() => c.stats().coordinator.inFlight === 9, 5000, "every part running");
    for (const q of quiet) q.advertiser?.pause();
    await killChild(dead);
    // The dead one: silent with work, probed, its direct subject answers 503.
    await until(() => c.router.get("dead")?.health === "unavailable", 10_000, "dead judged");
    // The quiet ones: past the TTL every one is probed, answers, and is kept.
    await until(() => c.stats().coordinator.liveness.lateAlive >= ids.length, 15_000, "probed");
    release();
    const r = await pending;
    expect(r.status).toBe("complete");
    const by = byCollector(r);
    for (const id of ids) expect(by[id]).toMatchObject({ status: "ok", payload: { by: id } });
    expect(by.dead).toMatchObject({ status: "error", error: { code: ErrorCode.CollectorLost } });
    expect(failedOver).toEqual(["dead"]);
    for (const id of ids) expect(c.router.get(id)?.health).toBe("healthy");
    expect(c.stats().coordinator.liveness.verdicts).toBe(1);
  }, 60_000);

  it("coordinator - past the panic threshold collectors that stop advertising and answering are kept; only the one proven gone fails", async () => {
    const p = prefix();
    const frozen = await Promise.all(
      ["f1", "f2", "f3"].map((id) => child(p, id, { delayMs: 1500 })),
    );
    const dead = await child(p, "dead", { hang: true });
    await collectors(p, ["live"], (_payload, ctx) => ({ by: ctx.collectorId }));
    const { c, failedOver } = await coordinator(p);
    await healthy(c, ["f1", "f2", "f3", "dead", "live"]);
    const pending = c.submit({ requiredCapabilities: PROC }, { mode: "all", timeoutMs: 30_000 });
    await until(() => c.stats().coordinator.inFlight === 4, 5000, "the slow parts running");
    // Three of the four left look dead by every sign but one: no 503 (their sockets are open).
    freeze(frozen, "SIGSTOP");
    await killChild(dead);
    await until(() => c.router.get("dead")?.health === "unavailable", 10_000, "dead judged");
    const held = () => {
      const l = c.stats().coordinator.liveness;
      return l.panics >= 1 && l.held === 3 && l.unanswered >= 3;
    };
    await until(held, 15_000, "the frozen held in routing, their probes unanswered");
    for (const id of ["f1", "f2", "f3"]) expect(c.router.get(id)?.health).toBe("healthy");
    freeze(frozen, "SIGCONT");
    const r = await pending;
    expect(r.status).toBe("complete");
    const by = byCollector(r);
    for (const id of ["f1", "f2", "f3", "live"]) expect(by[id]?.status).toBe("ok");
    expect(by.dead?.error?.code).toBe(ErrorCode.CollectorLost);
    expect(failedOver).toEqual(["dead"]);
    expect(c.stats().coordinator.liveness.verdicts).toBe(1);
  }, 60_000);

  it("coordinator - below the threshold a frozen collector is judged stale when its probe goes unanswered, and recovers when it thaws", async () => {
    const p = prefix();
    const ice = await child(p, "ice");
    await collectors(p, ["a", "b", "c"], (_payload, ctx) => ({ by: ctx.collectorId }));
    const { c } = await coordinator(p);
    await healthy(c, ["ice", "a", "b", "c"]);
    freeze([ice], "SIGSTOP");
    await until(() => c.router.get("ice")?.health === "unavailable", 10_000, "stale");
    expect(c.stats().coordinator.liveness).toMatchObject({ panics: 0, verdicts: 1 });
    const r = await c.submit({ requiredCapabilities: PROC }, { mode: "all", timeoutMs: 10_000 });
    expect(r.results.map((x) => x.collectorId).sort()).toEqual(["a", "b", "c"]);
    freeze([ice], "SIGCONT");
    await until(() => c.router.get("ice")?.health === "healthy", 10_000, "recovered");
  }, 60_000);
});
