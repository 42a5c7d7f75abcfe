/**
 * The coordinated path when instances fail, against a real nats-server: SIGKILL, hangs, lost
 * adverts, graceful stops, abandoned attempts and deadlines.
 */
import { describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { decode } from "../../src/codec.js";
import { FailoverEvent, Subjects } from "../../subjects/index.js";
import { killChild, until } from "../support/nats-server.js";
import { routable } from "../support/mesh-fixture.js";
import { PROC, echo, useCoordination } from "../support/coordination.js";

const { mesh, prefix, coordinator, collector } = useCoordination();

describe("coordination - when instances fail, against a real nats-server", () => {
  it("coordination - SIGKILL of one of 3 instances with 1,000 tasks in flight loses nothing", async () => {
    const p = prefix();
    const children: ChildProcess[] = [];
    for (const id of ["k1", "k2", "k3"]) {
      children.push(
        await mesh.child({
          id,
          caps: PROC,
          prefix: p,
          maxConcurrency: 40,
          delayMs: 15,
          ttlMs: 1500,
        }),
      );
    }
    const coord = await coordinator(p, { attemptTimeoutMs: 2000 });
    await routable(coord, ["k1", "k2", "k3"]);
    const failovers: FailoverEvent[] = [];
    const sub = mesh.nc.subscribe(new Subjects(p).failoverEvent(), {
      callback: (_e, m) => {
        failovers.push(decode(FailoverEvent, m.data));
      },
    });
    mesh.cleanup(() => Promise.resolve(sub.unsubscribe()));
    let done = 0;
    const all = Array.from({ length: 1000 }, (_, i) =>
      coord.submit({ requiredCapabilities: PROC, payload: i }, { timeoutMs: 20_000 }).then((r) => {
        done++;
        return r;
      }),
    );
    await until(() => done >= 250, 15_000, "a quarter of the tasks done");
    const victim = children[0] as ChildProcess;
    // Killed while it has work in flight.
    await until(() => coord.balancer.tasksOf("k1").length > 0, 5000, "k1 has tasks in flight");
    await killChild(victim);
    const results = await Promise.all(all);
    for (const [i, r] of results.entries()) {
      expect(r.status, `task ${i}`).toBe("complete");
      expect(r.results).toHaveLength(1);
      expect((r.results[0]?.payload as { echo: number }).echo).toBe(i);
    }
    const after = results.slice(0).filter((r) => r.completedAt > Date.now() - 60_000);
    expect(after.length).toBe(1000);
    await until(
      () => failovers.some((f) => f.failedCollectorId === "k1"),
      5000,
      "failover event for k1",
    );
    const ev = failovers.find((f) => f.failedCollectorId === "k1");
    expect(ev?.failoverTargetId === undefined || ["k2", "k3"].includes(ev.failoverTargetId)).toBe(
      true,
    );
    expect(coord.router.findCapable(PROC).map((c) => c.id)).not.toContain("k1");
    expect(coord.stats().coordinator.resent).toBeGreaterThan(0);
  }, 60_000);

  it("coordination - a hung instance's tasks time out, move, and it is ejected", async () => {
    const p = prefix();
    await collector(p, "good", PROC, echo("good"));
    await collector(p, "hung", PROC, () => new Promise(() => undefined));
    const coord = await coordinator(p, {
      attemptTimeoutMs: 200,
      balancer: { failoverThreshold: 2 },
      strategy: "round-robin",
    });
    await routable(coord, ["good", "hung"]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        coord.submit({ requiredCapabilities: PROC, payload: i }, { timeoutMs: 10_000 }),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe("complete");
      expect(r.results.map((x) => x.collectorId)).toEqual(["good"]);
    }
    expect(coord.balancer.isEjected("hung")).toBe(true);
    expect(coord.stats().coordinator.attemptTimeouts).toBeGreaterThan(0);
  }, 30_000);

  it("coordination - a collector whose adverts stop but which answers its probe stays routable", async () => {
    const p = prefix();
    const { c } = await collector(p, "beat", PROC, echo("beat"), { heartbeatMs: 100, ttlMs: 600 });
    await collector(p, "other", PROC, echo("other"), { heartbeatMs: 100, ttlMs: 600 });
    const coord = await coordinator(p, { advertTtlMs: 600 });
    await routable(coord, ["beat", "other"]);
    c.advertiser?.pause();
    // Past the TTL the coordinator probes it; the answer proves it alive: its advert is late.
    await until(() => coord.stats().coordinator.liveness.lateAlive >= 2, 5000, "probed twice");
    expect(coord.router.get("beat")?.health).toBe("healthy");
    expect(coord.stats().coordinator.liveness.verdicts).toBe(0);
    c.advertiser?.resume();
    const r = await coord.submit({ requiredCapabilities: PROC, payload: 1 }, { mode: "all" });
    expect(r.results.map((x) => x.collectorId).sort()).toEqual(["beat", "other"]);
  });

  it("coordination - graceful stop drains in-flight work before leaving", async () => {
    const p = prefix();
    const { c } = await collector(p, "drainer", PROC, echo("drainer", 300), { maxConcurrency: 4 });
    const coord = await coordinator(p);
    await routable(coord, ["drainer"]);
    const pending = Array.from({ length: 3 }, (_, i) =>
      coord.submit({ requiredCapabilities: PROC, payload: i }),
    );
    await until(() => c.inFlight === 3, 2000, "three running");
    await c.stop();
    const results = await Promise.all(pending);
    for (const r of results) expect(r.status).toBe("complete");
    await until(() => coord.router.get("drainer") === undefined, 2000, "advert removed");
  });

  it("coordination - a collector that stops gracefully while tasks wait for it is not failed over", async () => {
    const p = prefix();
    const { c: leaving } = await collector(p, "leaving", PROC, echo("leaving", 300), {
      maxConcurrency: 1,
    });
    await collector(p, "staying", PROC, echo("staying", 300), { maxConcurrency: 1 });
    const coord = await coordinator(p);
    await routable(coord, ["leaving", "staying"]);
    const pending = Array.from({ length: 6 }, (_, i) =>
      coord.submit({ requiredCapabilities: PROC, payload: i }),
    );
    await until(() => leaving.inFlight === 1, 2000, "leaving busy");
    await leaving.stop();
    const results = await Promise.all(pending);
    for (const r of results) expect(r.status).toBe("complete");
    const by = results.map((r) => r.results[0]?.collectorId);
    expect(by.filter((x) => x === "leaving").length).toBeGreaterThanOrEqual(1);
    expect(by.filter((x) => x === "staying").length).toBeGreaterThanOrEqual(4);
    expect(coord.stats().coordinator.failovers).toBe(0);
  });

  it("coordination - a late result of an abandoned attempt on the same instance is not taken for the new one", async () => {
    const p = prefix();
    await collector(p, "only", PROC, async (payload, ctx) => {
      await new Promise((r) => setTimeout(r, ctx.task.attempt === 0 ? 1500 : 10));
      return { payload, attempt: ctx.task.attempt };
    });
    const coord = await coordinator(p, { attemptTimeoutMs: 200 });
    await routable(coord, ["only"]);
    const r = await coord.submit({ requiredCapabilities: PROC, payload: "x" }, { timeoutMs: 5000 });
    expect(r.status).toBe("complete");
    expect(r.results).toHaveLength(1);
    expect(r.results[0]?.attempt).toBe(1);
    expect(r.results[0]?.payload).toEqual({ payload: "x", attempt: 1 });
    // Attempt 0's result arrives after the task finished: it fits no attempt in flight and is
    // dropped before the aggregator.
    await until(
      () => coord.stats().coordinator.rejected["not-in-flight"] >= 1,
      5000,
      "attempt 0's result dropped",
    );
    expect(coord.aggregator.stats().resultsAggregated).toBe(1);
    expect(coord.stats().coordinator).toMatchObject({ inFlight: 0, tasks: 0 });
  });

  it("coordination - a result of an abandoned attempt that arrives while the new attempt runs is not taken for it", async () => {
    const p = prefix();
    const coord = await coordinator(p, { attemptTimeoutMs: 1000 });
    let secondRuns = (): void => undefined;
    const second = new Promise<void>((r) => (secondRuns = r));
    const otherAttempt = () => coord.stats().coordinator.rejected["other-attempt"];
    // Attempt 0 answers once attempt 1 runs; attempt 1 answers once that answer was refused.
    await collector(p, "only", PROC, async (payload, ctx) => {
      if (ctx.task.attempt === 0) await second;
      else {
        secondRuns();
        await until(() => otherAttempt() >= 1, 5000, "attempt 0's answer refused");
      }
      return { payload, attempt: ctx.task.attempt };
    });
    await routable(coord, ["only"]);
    const r = await coord.submit(
      { requiredCapabilities: PROC, payload: "y" },
      { timeoutMs: 10_000 },
    );
    expect(r.status).toBe("complete");
    expect(r.results).toHaveLength(1);
    expect(r.results[0]).toMatchObject({ attempt: 1, payload: { payload: "y", attempt: 1 } });
    expect(otherAttempt()).toBe(1);
    expect(coord.aggregator.stats().resultsAggregated).toBe(1);
  });

  it("coordination - a task whose own deadline passes in flight is not charged to the instance", async () => {
    const p = prefix();
    await collector(p, "steady", PROC, echo("steady", 400));
    const coord = await coordinator(p, { balancer: { failoverThreshold: 1 } });
    await routable(coord, ["steady"]);
    const results = await Promise.all(
      Array.from({ length: 3 }, () =>
        coord.submit({ requiredCapabilities: PROC }, { timeoutMs: 150 }),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe("timed_out");
      expect(r.results).toHaveLength(0);
    }
    const inst = coord.balancer.stats().instances.steady;
    expect(inst?.failures).toBe(0);
    expect(coord.stats().coordinator).toMatchObject({
      failovers: 0,
      attemptTimeouts: 0,
      inFlight: 0,
    });
    expect(coord.balancer.isEjected("steady")).toBe(false);
  });
});
