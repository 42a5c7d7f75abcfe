import { beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { Advertiser, CapabilityRouter, RouterWatcher } from "../../src/router/index.js";
import { SourceCaps } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { advert } from "../router/fixtures.js";

const { PROCESS } = SourceCaps;
// Long enough that the advert outlives the restart, short enough to keep the test quick.
const TTL = 10_000;

const mesh = useMesh();
let collectorNc: NatsConnection;
let routerNc: NatsConnection;

beforeAll(async () => {
  collectorNc = await mesh.connect("collector");
  routerNc = await mesh.connect("router");
});

describe("router - nats-server restart", () => {
  it("router - adverts survive a server restart with the same store, and watcher and advertiser carry on after reconnecting", async () => {
    const prefix = "restart";
    const router = new CapabilityRouter({ prefix, heartbeatTimeoutMs: TTL });
    const watcher = new RouterWatcher(routerNc, router, { sweepIntervalMs: 100 });
    await watcher.start();
    const base = advert("procmond-1", PROCESS);
    const adv = new Advertiser(collectorNc, {
      prefix,
      ttlMs: TTL,
      heartbeatMs: 100,
      advert: () => base,
    });
    await adv.start();
    await until(() => router.size === 1, 5000);
    adv.pause();
    const seqBefore = adv.stats().heartbeatSeq;
    const putsBefore = adv.stats().puts;
    await until(() => router.get("procmond-1")?.advert.heartbeatSeq === seqBefore, 5000);

    await mesh.ns.restart();

    // A router that starts after the restart finds the advert in the store.
    const lateNc = await mesh.connect("late-router");
    const late = new CapabilityRouter({ prefix, heartbeatTimeoutMs: TTL });
    const lateWatcher = new RouterWatcher(lateNc, late, { sweepIntervalMs: 100 });
    await lateWatcher.start();
    expect(late.get("procmond-1")?.advert.heartbeatSeq).toBe(seqBefore);
    expect(late.routeTask(PROCESS).collectorId).toBe("procmond-1");

    // Heartbeats resume over the reconnected connection and reach both routers.
    adv.resume();
    await until(() => adv.stats().puts > putsBefore + 2, 2000, "heartbeats after restart");
    await until(
      () => (router.get("procmond-1")?.advert.heartbeatSeq ?? 0) > seqBefore + 1,
      2000,
      "old watcher sees new heartbeats",
    );
    await until(
      () => (late.get("procmond-1")?.advert.heartbeatSeq ?? 0) > seqBefore + 1,
      2000,
      "new watcher sees new heartbeats",
    );
    expect(router.routeTask(PROCESS).collectorId).toBe("procmond-1");

    // And a graceful stop still reaches the router that lived through the restart.
    await adv.stop();
    await until(() => router.size === 0 && late.size === 0, 2000, "collector left");
    await lateWatcher.stop();
    await watcher.stop();
  });
});
