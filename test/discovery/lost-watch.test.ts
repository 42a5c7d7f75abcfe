/**
 * A watch whose consumer is gone (its server died in a cluster, or an operator deleted it) goes
 * silent; nats.js would notice only after missed idle heartbeats, long after every collector had
 * been taken for stale. The watcher opens its watch again once no advert at all has come for half
 * the TTL, so the collector stays routable.
 */
import { describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { Advertiser, CapabilityRouter, RouterWatcher } from "../../src/router/index.js";
import { SourceCaps, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { advert } from "../router/fixtures.js";

const TTL = 3000;
const mesh = useMesh();

describe("router - the advert watch is lost", () => {
  it("router - a watch whose consumer was deleted is opened again before the collector goes stale", async () => {
    const prefix = "lostwatch";
    const router = new CapabilityRouter({ prefix, heartbeatTimeoutMs: TTL });
    const watcher = new RouterWatcher(await mesh.connect("router"), router, {
      sweepIntervalMs: 100,
    });
    await watcher.start();
    const adv = new Advertiser(await mesh.connect("collector"), {
      prefix,
      ttlMs: TTL,
      heartbeatMs: 250,
      advert: () => advert("procmond-1", SourceCaps.PROCESS),
    });
    await adv.start();
    await until(() => router.get("procmond-1")?.health === "healthy", 2000, "routable");
    const stale: string[] = [];
    watcher.onChange((c) => {
      if (c.kind === "stale" || c.kind === "left") stale.push(c.kind);
    });

    // Delete the watch's consumer on the server: its deliveries stop without a word.
    const jsm = await jetstreamManager(await mesh.connect("operator"));
    const stream = `KV_${new Subjects(prefix).bucket()}`;
    let deleted = 0;
    for await (const ci of jsm.consumers.list(stream)) {
      await jsm.consumers.delete(stream, ci.name);
      deleted++;
    }
    expect(deleted).toBe(1);
    const seq = router.get("procmond-1")?.advert.heartbeatSeq ?? 0;

    // Heartbeats reach the router again (through a new watch) within the TTL: never stale.
    await until(
      () => (router.get("procmond-1")?.advert.heartbeatSeq ?? 0) > seq + 2,
      TTL * 2,
      "heartbeats through a new watch",
    );
    expect(watcher.stats().rewatches).toBeGreaterThanOrEqual(1);
    expect(stale).toEqual([]);
    expect(router.get("procmond-1")?.health).toBe("healthy");
    await adv.stop();
    await watcher.stop();
  });
});
