/**
 * A large fleet's adverts are read in batches (discovery/batched-watch.ts) rather than pushed one
 * wake-up each: the router sees the same joins, changes and leaves, a lost consumer is replaced,
 * and a fleet that shrinks has its adverts pushed again. Here "large" is made small (batchAbove).
 */
import { describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { Advertiser, CapabilityRouter, RouterWatcher } from "../../src/router/index.js";
import { Coordinator } from "../../src/coordinator/index.js";
import { Collector } from "../../src/collector/index.js";
import type { CollectorAdvert } from "../../subjects/index.js";

type Health = CollectorAdvert["health"];
import { SourceCaps, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { advert } from "../router/fixtures.js";

const TTL = 5000;
const mesh = useMesh();

describe("discovery - adverts read in batches", () => {
  it("discovery - past batchAbove collectors, adverts come in batches, with every join, change and leave, pushed for a TTL after a lost consumer, and pushed again below half", async () => {
    const prefix = "batched";
    const router = new CapabilityRouter({ prefix, heartbeatTimeoutMs: TTL });
    const watcher = new RouterWatcher(await mesh.connect("router"), router, {
      sweepIntervalMs: 50,
      batchAbove: 4,
      batchIntervalMs: 200,
    });
    await watcher.start();
    expect(watcher.stats().adverts).toBe("pushed");
    const health = new Map<string, Health>();
    const start = async (id: string): Promise<Advertiser> => {
      health.set(id, "healthy");
      const startedAt = Date.now();
      // A connection each, as collectors on their own hosts: their puts are not sent together.
      const adv = new Advertiser(await mesh.connect(`collector-${id}`), {
        prefix,
        ttlMs: TTL,
        heartbeatMs: 40,
        advert: (): CollectorAdvert =>
          advert(id, SourceCaps.PROCESS, { health: health.get(id) ?? "healthy", startedAt }),
      });
      await adv.start();
      return adv;
    };
    const advs = await Promise.all(["a", "b", "c", "d", "e"].map(start));
    await until(() => router.size === 5, 3000, "five collectors known");
    await until(() => watcher.stats().adverts === "batched", 3000, "read in batches");

    // Heartbeats of five collectors, read every 200 ms: they arrive together.
    const at: number[] = [];
    const unfollow = router.follow((u) => {
      if (u.kind === "heartbeat") at.push(Date.now());
    });
    await until(() => at.length >= 60, 5000, "60 heartbeats");
    unfollow();
    const turns = new Set(at.map((t) => Math.floor(t / 10)));
    expect(turns.size).toBeLessThan(at.length / 3);

    // A change, a join and a leave are all seen.
    health.set("a", "degraded");
    advs[0]?.changed();
    await until(() => router.get("a")?.health === "degraded", 3000, "a degraded");
    advs.push(await start("f"));
    await until(() => router.get("f") !== undefined, 3000, "f joined");
    const left: string[] = [];
    watcher.onChange((c) => {
      if (c.kind === "left") left.push(c.id);
      if (c.kind === "stale") left.push(`stale ${c.id}`);
    });
    await advs[1]?.stop();
    await until(() => left.includes("b"), 3000, "b left");

    // The consumer deleted under the watch: the batched watch has failed, so adverts are pushed
    // for a TTL (from the last entry on), then read in batches again.
    const jsm = await jetstreamManager(await mesh.connect("operator"));
    const stream = `KV_${new Subjects(prefix).bucket()}`;
    for await (const ci of jsm.consumers.list(stream)) await jsm.consumers.delete(stream, ci.name);
    const seq = router.get("c")?.advert.heartbeatSeq ?? 0;
    await until(
      () => (router.get("c")?.advert.heartbeatSeq ?? 0) > seq + 3,
      TTL,
      "heartbeats through a new consumer",
    );
    expect(watcher.stats().rewatches).toBeGreaterThanOrEqual(1);
    expect(watcher.stats().adverts).toBe("pushed");
    await until(() => watcher.stats().adverts === "batched", TTL * 2, "batches again after a TTL");
    const seq2 = router.get("c")?.advert.heartbeatSeq ?? 0;
    await until(
      () => (router.get("c")?.advert.heartbeatSeq ?? 0) > seq2 + 3,
      TTL,
      "heartbeats in batches again",
    );

    // Down to one collector (below half of batchAbove): pushed again, still seen.
    for (const adv of advs.slice(2)) await adv.stop();
    await until(() => router.size === 1, 3000, "one collector left");
    await until(() => watcher.stats().adverts === "pushed", 3000, "pushed again");
    health.set("a", "healthy");
    advs[0]?.changed();
    await until(() => router.get("a")?.health === "healthy", 3000, "a healthy again");
    expect(left.filter((x) => x.startsWith("stale"))).toEqual([]);
    await advs[0]?.stop();
    await watcher.stop();
    // The batched watches left no consumer behind (a pushed watch's goes when it is idle).
    const pulled: string[] = [];
    for await (const ci of jsm.consumers.list(stream)) {
      if (ci.config.deliver_subject === undefined) pulled.push(ci.name);
    }
    expect(pulled).toEqual([]);
  });

  it("discovery - a coordinator's `adverts` options reach its watch: read in batches, tasks still routed", async () => {
    const prefix = "batchedcoord";
    const coordinator = new Coordinator({
      nc: await mesh.connect("coordinator"),
      prefix,
      durable: false,
      adverts: { batchAbove: 1, batchIntervalMs: 50 },
    });
    await coordinator.start();
    const collector = new Collector({
      id: "p1",
      type: "procmond",
      capabilities: SourceCaps.PROCESS,
      prefix,
      heartbeatMs: 100,
      handler: (payload) => ({ echo: payload }),
    });
    await collector.start(await mesh.connect("collector"));
    await until(() => coordinator.stats().routing.adverts === "batched", 5000, "read in batches");
    const r = await coordinator.submit(
      { requiredCapabilities: SourceCaps.PROCESS, payload: 7 },
      { mode: "one", timeoutMs: 5000 },
    );
    expect(r.status).toBe("complete");
    expect(r.results[0]?.payload).toEqual({ echo: 7 });
    await collector.stop();
    await coordinator.stop();
  });
});
