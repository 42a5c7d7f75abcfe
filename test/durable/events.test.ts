/**
 * Collector and failover events are published once per mesh, by the coordinator that leads it,
 * naming the observer: two coordinators publish each event once, and a coordinator that starts
 * later announces nothing for the collectors already there.
 */
import { describe, expect, it } from "vitest";
import type { Coordinator } from "../../src/coordinator/index.js";
import { decode } from "../../src/codec.js";
import { CollectorEvent, FailoverEvent, SourceCaps, Subjects } from "../../subjects/index.js";
import { killChild, until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";

const PROC = SourceCaps.PROCESS;
const mesh = useMesh({ cleanupAfter: "all" });

const coordinator = (p: string, id: string): Promise<Coordinator> =>
  mesh.coordinator({ name: id, prefix: p, id, advertTtlMs: 1500 });

describe("durable - one voice for the mesh's events", () => {
  it("durable - with two coordinators each collector and failover event is published once, naming its observer", async () => {
    const p = "events";
    const s = new Subjects(p);
    const collectorEvents: CollectorEvent[] = [];
    const failovers: FailoverEvent[] = [];
    const sub = mesh.nc.subscribe(s.events(), {
      callback: (_e, m) => {
        if (m.subject === s.failoverEvent()) failovers.push(decode(FailoverEvent, m.data));
        else collectorEvents.push(decode(CollectorEvent, m.data));
      },
    });
    mesh.cleanup(() => Promise.resolve(sub.unsubscribe()));
    await mesh.nc.flush();
    const a = await coordinator(p, "coord-a");
    const b = await coordinator(p, "coord-b");
    const w = await mesh.child({ id: "w", prefix: p, ttlMs: 1500, delayMs: 60_000 });
    await until(() => a.router.get("w") && b.router.get("w"), 5000, "both see w");
    await until(() => collectorEvents.some((e) => e.kind === "joined"), 5000, "joined");
    // A third coordinator that starts now announces nothing about w.
    const c = await coordinator(p, "coord-c");
    await until(() => c.router.get("w"), 5000, "c sees w");

    // Work on w from both a and b, then w dies.
    const pending = [a, b].map((x) =>
      x.submit({ requiredCapabilities: PROC }, { timeoutMs: 8000, durable: false }),
    );
    await until(
      () => a.stats().coordinator.inFlight === 1 && b.stats().coordinator.inFlight === 1,
      5000,
      "a task of each on w",
    );
    await killChild(w);
    await Promise.all(pending);
    await until(() => collectorEvents.some((e) => e.kind === "stale"), 10_000, "stale");
    await until(() => failovers.length > 0, 10_000, "failover");
    // Let any duplicate arrive before counting (a round trip through the server).
    await mesh.nc.flush();
    const joined = collectorEvents.filter((e) => e.kind === "joined" && e.collectorId === "w");
    const stale = collectorEvents.filter((e) => e.kind === "stale" && e.collectorId === "w");
    expect(joined).toHaveLength(1);
    expect(stale).toHaveLength(1);
    expect(failovers.filter((f) => f.failedCollectorId === "w")).toHaveLength(1);
    const observers = new Set([...joined, ...stale, ...failovers].map((e) => e.observedBy));
    expect(observers.size).toBe(1);
    expect(["coord-a", "coord-b", "coord-c"]).toContain([...observers][0]);
  });
});
