/**
 * The coordinator across a nats-server outage (SIGKILL, then a restart on the same port and
 * store): no answer can arrive while NATS is away, so attempt deadlines move by the outage and
 * stale judgements wait until heartbeats could have arrived again.
 */
import { describe, expect, it } from "vitest";
import { SourceCaps } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { recordEvents, useMesh } from "../support/mesh-fixture.js";

const PROC = SourceCaps.PROCESS;
const mesh = useMesh({ cleanupAfter: "all" });

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
    let release = () => {};
    const answer = new Promise<void>((r) => (release = r));
    const nc = await mesh.connect("collector");
    const collector = await mesh.collector({
      nc,
      id: "steady",
      prefix: p,
      ttlMs,
      handler: async (payload, ctx) => {
        // Runs through the outage and answers once both sides have reconnected (an answer sent
        // before the coordinator has resubscribed would be lost, which is not what is tested).
        await answer;
        return { payload, attempt: ctx.task.attempt };
      },
    });
    const coordNc = await mesh.connect("coordinator");
    const c = await mesh.coordinator({
      nc: coordNc,
      prefix: p,
      advertTtlMs: ttlMs,
      attemptTimeoutMs: 5000,
    });
    const events = recordEvents(c);
    await until(() => c.router.get("steady")?.health === "healthy", 5000, "routable");

    const pending = c.submit({ requiredCapabilities: PROC, payload: "x" }, { timeoutMs: 20_000 });
    // Running on the collector, not only sent: a task still on its way when the server dies is
    // lost with it, and rightly sent again.
    await until(() => collector.stats().running === 1, 2000, "running on the collector");
    expect(c.stats().coordinator.inFlight).toBe(1);
    const dispatched = Date.now();
    // Longer than the advert TTL: every heartbeat is late when NATS comes back.
    await outage(2000);
    // Both connections are back (a flush answered) with their subscriptions.
    const back = (n: typeof nc) =>
      n.flush().then(
        () => true,
        () => false,
      );
    await until(async () => (await back(nc)) && (await back(coordNc)), 20_000, "reconnected");
    // The answer comes after the attempt's unmoved deadline (5 s from dispatch), before the
    // moved one (5 s plus the outage, at least 2 s).
    await until(() => Date.now() - dispatched >= 5500, 10_000, "past the unmoved deadline");
    release();
    const r = await pending;
    expect(r.status).toBe("complete");
    const why = JSON.stringify({
      stats: c.stats().coordinator,
      events,
      collector: collector.stats(),
    });
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
