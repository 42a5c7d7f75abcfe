/**
 * Coordinator behaviours against a real nats-server, each with real processes where a death is
 * involved: a no-responders status on dispatch, give-up, probes of suspects, overload without
 * state, stop with a grace period, and a fan-out part lost with its instance.
 */
import { describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import type { TaskHandler } from "../../src/collector/index.js";
import { OverloadedError } from "../../src/errors.js";
import { ErrorCode, SourceCaps } from "../../subjects/index.js";
import { killChild, until } from "../support/nats-server.js";
import {
  recordEvents,
  routable,
  useMesh,
  type TestCoordinatorInit,
} from "../support/mesh-fixture.js";

const PROC = SourceCaps.PROCESS;
let seq = 0;
const mesh = useMesh();

const prefix = () => `b${++seq}_${Date.now().toString(36)}`;

async function coordinator(p: string, opts: TestCoordinatorInit = {}) {
  const c = await mesh.coordinator({ prefix: p, ...opts });
  return { c, events: recordEvents(c) };
}

const collector = (p: string, id: string, handler: TaskHandler, ttlMs = 3000) =>
  mesh.collector({ prefix: p, id, handler, ttlMs });

const child = (
  p: string,
  id: string,
  extra: { delayMs?: number; hang?: boolean; ttlMs?: number },
) => mesh.child({ id, prefix: p, ...extra });

const echo: TaskHandler = (payload, ctx) => ({ payload, by: ctx.collectorId });

describe("coordinator - behaviour against a real nats-server", () => {
  it("coordinator - a no-responders status on dispatch moves the task to another instance at once", async () => {
    const p = prefix();
    // "dead" keeps its advert (a 30 s TTL) after SIGKILL: only its direct subject tells the truth.
    const dead: ChildProcess = await child(p, "dead", { ttlMs: 30_000 });
    await collector(p, "alive", echo, 30_000);
    const { c, events } = await coordinator(p, {
      advertTtlMs: 30_000,
      attemptTimeoutMs: 20_000,
      strategy: "round-robin",
    });
    await routable(c, ["dead", "alive"]);
    await killChild(dead);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        c.submit({ requiredCapabilities: PROC, payload: i }, { timeoutMs: 15_000 }),
      ),
    );
    // Every task completed on the live instance, long before any attempt could time out.
    expect(results.map((r) => r.status)).toEqual(Array(20).fill("complete"));
    expect(results.every((r) => r.results[0]?.collectorId === "alive")).toBe(true);
    const s = c.stats().coordinator;
    expect(s.noResponders).toBeGreaterThanOrEqual(1);
    expect(s.attemptTimeouts).toBe(0);
    expect(s.forgedNoResponders).toBe(0);
    const failovers = events.flatMap((e) => (e.kind === "failover" ? [e.event] : []));
    expect(failovers.map((f) => [f.failedCollectorId, f.reason])).toEqual([
      ["dead", "no responders"],
    ]);
    expect(c.router.get("dead")?.health).toBe("unavailable");
  });

  it("coordinator - a task gives up after maxAttempts with the last reason", async () => {
    const p = prefix();
    await collector(p, "hung", () => new Promise(() => undefined));
    const { c } = await coordinator(p, {
      attemptTimeoutMs: 200,
      maxAttempts: 2,
      balancer: { failoverThreshold: 100 },
    });
    await routable(c, ["hung"]);
    const r = await c.submit({ requiredCapabilities: PROC }, { timeoutMs: 10_000 });
    expect(r.results).toHaveLength(1);
    expect(r.results[0]).toMatchObject({ status: "error", error: { code: ErrorCode.Timeout } });
    expect(r.results[0]?.error?.message).toMatch(/gave up after 2 attempts: attempt timeout/);
    expect(c.stats().coordinator).toMatchObject({
      attemptTimeouts: 2,
      resent: 1,
      tasks: 0,
      inFlight: 0,
    });
  });

  it("coordinator - a suspect with work is probed and its work moves when the probe finds it gone", async () => {
    const p = prefix();
    // A 20 s TTL and attempt timeout: only the probe can find "slow" gone in time.
    const slow = await child(p, "slow", { delayMs: 60_000, ttlMs: 20_000 });
    const { c, events } = await coordinator(p, {
      advertTtlMs: 20_000,
      attemptTimeoutMs: 20_000,
      router: { suspectAfterMs: 600 },
    });
    await routable(c, ["slow"]);
    const pending = c.submit({ requiredCapabilities: PROC, payload: "x" }, { timeoutMs: 15_000 });
    await until(() => c.stats().coordinator.inFlight === 1, 2000, "task in flight on slow");
    await collector(p, "spare", echo, 20_000);
    await routable(c, ["spare"]);
    await killChild(slow);
    const r = await pending;
    expect(r.status).toBe("complete");
    expect(r.results[0]?.collectorId).toBe("spare");
    expect(c.stats().coordinator.probes).toBeGreaterThanOrEqual(1);
    const failovers = events.flatMap((e) => (e.kind === "failover" ? [e.event] : []));
    expect(failovers.map((f) => [f.failedCollectorId, f.reason])).toEqual([
      ["slow", "probe: no responders"],
    ]);
  });

  it("coordinator - an overloaded submit fails at once and leaves no state behind", async () => {
    const p = prefix();
    const gate: (() => void)[] = [];
    await collector(p, "busy", () => new Promise<string>((r) => gate.push(() => r("done"))), 3000);
    // The in-memory queue: a durable submit waits in the stream instead.
    const { c } = await coordinator(p, {
      durable: false,
      maxQueued: 3,
      balancer: { defaultCapacity: 1 },
    });
    await routable(c, ["busy"]);
    const before = c.router.get("busy")?.advert.maxConcurrency ?? 0;
    const fill = Array.from({ length: before + 3 }, () =>
      c.submit({ requiredCapabilities: PROC }, { timeoutMs: 10_000 }),
    );
    await until(() => c.distributor.size() === 3, 2000, "queue full");
    const snapshot = () => ({
      queued: c.distributor.size(),
      aggregations: c.aggregator.size(),
      tasks: c.stats().coordinator.tasks,
      submitted: c.stats().coordinator.submitted,
    });
    const at = snapshot();
    await expect(c.submit({ requiredCapabilities: PROC })).rejects.toThrow(OverloadedError);
    expect(() => c.submitStream({ requiredCapabilities: PROC }, { mode: "all" })).toThrow(
      OverloadedError,
    );
    expect(snapshot()).toEqual(at);
    for (;;) {
      const open = gate.splice(0);
      for (const g of open) g();
      if (
        (await Promise.race([
          Promise.all(fill).then(() => true),
          new Promise((r) => setTimeout(() => r(false), 50)),
        ])) === true
      )
        break;
    }
    expect((await Promise.all(fill)).every((r) => r.status === "complete")).toBe(true);
  });

  it("coordinator - stop(graceMs) lets work in flight finish, and ends what is left with STOPPED", async () => {
    const p = prefix();
    await collector(p, "w", async (payload) => {
      await new Promise((r) => setTimeout(r, payload === "quick" ? 200 : 5000));
      return payload;
    });
    const { c } = await coordinator(p);
    await routable(c, ["w"]);
    const quick = c.submit({ requiredCapabilities: PROC, payload: "quick" }, { timeoutMs: 10_000 });
    await until(() => c.stats().coordinator.inFlight === 1, 2000, "in flight");
    await c.stop(2000);
    expect((await quick).status).toBe("complete");
    await expect(c.submit({ requiredCapabilities: PROC })).rejects.toThrow(/stopped/);

    const { c: c2 } = await coordinator(p);
    await routable(c2, ["w"]);
    const long = c2.submit({ requiredCapabilities: PROC, payload: "long" }, { timeoutMs: 10_000 });
    await until(() => c2.stats().coordinator.inFlight === 1, 2000, "in flight");
    await c2.stop(100);
    const r = await long;
    expect(r.status).toBe("failed");
    expect(r.error?.code).toBe(ErrorCode.Stopped);
  });

  it("coordinator - a fan-out part whose instance dies is reported lost, not re-sent to another host", async () => {
    const p = prefix();
    const doomed = await child(p, "doomed", { delayMs: 60_000, ttlMs: 20_000 });
    await collector(p, "a", echo, 20_000);
    await collector(p, "b", echo, 20_000);
    const { c } = await coordinator(p, { advertTtlMs: 20_000, router: { suspectAfterMs: 600 } });
    await routable(c, ["doomed", "a", "b"]);
    const pending = c.submit(
      { requiredCapabilities: PROC, payload: "q" },
      { mode: "all", timeoutMs: 15_000 },
    );
    await until(() => c.stats().coordinator.inFlight === 1, 3000, "only doomed's part running");
    await killChild(doomed);
    const r = await pending;
    expect(r.status).toBe("complete");
    const byCollector = Object.fromEntries(r.results.map((x) => [x.collectorId, x]));
    expect(Object.keys(byCollector).sort()).toEqual(["a", "b", "doomed"]);
    expect(byCollector.a).toMatchObject({ status: "ok", payload: { payload: "q", by: "a" } });
    expect(byCollector.b).toMatchObject({ status: "ok", payload: { payload: "q", by: "b" } });
    expect(byCollector.doomed).toMatchObject({
      status: "error",
      error: { code: ErrorCode.CollectorLost },
    });
    expect(byCollector.doomed?.error?.message).toMatch(/collector doomed was lost/);
    expect(c.stats().coordinator).toMatchObject({ lost: 1, resent: 0 });
  });
});
