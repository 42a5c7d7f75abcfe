/**
 * The coordinator across a nats-server outage (SIGKILL, then a restart on the same port and
 * store): no answer can arrive while NATS is away, so attempt deadlines move by the outage and
 * stale judgements wait until heartbeats could have arrived again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Coordinator, type CoordinatorEvent } from "../../src/coordinator/index.js";
import { Collector } from "../../src/collector/index.js";
import { SourceCaps } from "../../subjects/index.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";

const PROC = SourceCaps.PROCESS;
let mesh: Mesh;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  mesh = await startMesh();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await mesh.dispose();
});

/** Kills the server, keeps it away for `ms`, restarts it on the same store. */
async function outage(ms: number): Promise<void> {
  await mesh.ns.kill();
  const back = Date.now() + ms;
  await until(() => Date.now() >= back, ms + 1000, "the outage's end");
  await mesh.ns.restart();
}

describe("coordinator - a nats-server outage", () => {
  it("coordinator - attempt deadlines move by the outage and stale judgements wait: the task completes on its first attempt", async () => {
    const p = "outage";
    const ttlMs = 1500;
    const nc = await mesh.connect("collector");
    const collector = new Collector({
      id: "steady",
      type: "test",
      capabilities: PROC,
      prefix: p,
      heartbeatMs: 250,
      ttlMs,
      handler: async (payload, ctx) => {
        // Runs through the outage and answers well after both sides have reconnected.
        await new Promise((r) => setTimeout(r, 6000));
        return { payload, attempt: ctx.task.attempt };
      },
    });
    await collector.start(nc);
    cleanups.push(() => collector.stop());
    const c = new Coordinator({
      nc: await mesh.connect("coordinator"),
      prefix: p,
      advertTtlMs: ttlMs,
      attemptTimeoutMs: 5000,
    });
    await c.start();
    cleanups.push(() => c.stop());
    const events: CoordinatorEvent[] = [];
    c.onEvent((e) => events.push(e));
    await until(() => c.router.get("steady")?.health === "healthy", 5000, "routable");

    const pending = c.submit({ requiredCapabilities: PROC, payload: "x" }, { timeoutMs: 20_000 });
    await until(() => c.stats().coordinator.inFlight === 1, 2000, "in flight");
    // Longer than the advert TTL: every heartbeat is late when NATS comes back.
    await outage(2000);
    const r = await pending;
    expect(r.status).toBe("complete");
    const why = JSON.stringify({ stats: c.stats().coordinator, events });
    expect(r.results[0], why).toMatchObject({
      status: "ok",
      attempt: 0,
      collectorId: "steady",
    });
    expect(c.stats().coordinator).toMatchObject({ attemptTimeouts: 0, resent: 0, failovers: 0 });
    expect(events.filter((e) => e.kind === "failover")).toEqual([]);
    expect(c.router.get("steady")?.health).toBe("healthy");
  });
});
