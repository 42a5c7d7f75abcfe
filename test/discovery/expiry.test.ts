/**
 * How the router learns that an advert expired, on each supported server: from 2.11 the bucket
 * has limit markers and the server announces the expiry; before 2.11 the expiry is silent and the
 * watcher's sweep is what takes the collector out of routing. Also: a bucket that 2.9 made keeps
 * working after the server is upgraded, and gets limit markers.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  Advertiser,
  CapabilityRouter,
  RouterWatcher,
  bindAdvertBucket,
  type RouterChange,
} from "../../src/router/index.js";
import { SourceCaps } from "../../subjects/index.js";
import { NatsServer, meshOn, serverAtLeast, startMesh, until } from "../support/nats-server.js";
import { natsServerVersion } from "../../src/server/nats-server.js";
import { newestServer, oldestServer } from "../support/tools.js";
import { advert } from "../router/fixtures.js";

const { PROCESS } = SourceCaps;
const TTL = 1000;
/** The sweep never runs on its own in these tests: only an explicit sweep() call runs it. */
const NO_SWEEP = 3_600_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function watch(nc: NatsConnection, prefix: string, ttl = TTL) {
  const router = new CapabilityRouter({ prefix, heartbeatTimeoutMs: ttl });
  const watcher = new RouterWatcher(nc, router, { sweepIntervalMs: NO_SWEEP });
  const changes: RouterChange[] = [];
  watcher.onChange((c) => changes.push(c));
  cleanups.push(() => watcher.stop());
  return { router, watcher, changes };
}

function advertise(nc: NatsConnection, prefix: string, id: string, ttl = TTL) {
  const base = advert(id, PROCESS);
  const adv = new Advertiser(nc, { prefix, ttlMs: ttl, heartbeatMs: 200, advert: () => base });
  cleanups.push(() => adv.stop());
  return adv;
}

const markers = serverAtLeast("2.11");
const version = natsServerVersion() ?? "unknown";

describe(`router - advert expiry on nats-server ${version}`, () => {
  it(
    markers
      ? "router - 2.11+: an expired advert is announced by the server's limit marker, with no sweep, and leaves routing"
      : "router - before 2.11: an advert expires silently and the sweep takes it out of routing",
    async () => {
      const mesh = await startMesh();
      cleanups.push(() => mesh.dispose());
      const prefix = "expiry";
      const { router, watcher, changes } = watch(await mesh.connect("router"), prefix);
      await watcher.start();
      const adv = advertise(await mesh.connect("collector"), prefix, "procmond-1");
      await adv.start();
      await until(() => router.get("procmond-1")?.health === "healthy", 2000, "advert applied");
      adv.pause();

      if (markers) {
        expect(watcher.stats().expiry).toBe("limit-marker");
        // The marker takes it out of routing at once; it stays known (stale) until it
        // heartbeats again or is forgotten, as on older servers.
        await until(
          () => router.get("procmond-1")?.health === "unavailable",
          TTL + 3000,
          "expiry announced",
        );
        expect(changes.at(-1)).toMatchObject({ kind: "stale", id: "procmond-1" });
        expect(watcher.stats()).toMatchObject({ sweeps: 0, purges: 1 });
        expect(router.findCapable(PROCESS)).toEqual([]);
      } else {
        expect(watcher.stats().expiry).toBe("sweep");
        // The server drops the advert at its max age and tells no watcher.
        const kv = (await bindAdvertBucket(mesh.nc, { prefix })).kv;
        await until(async () => (await kv.get("procmond-1")) === null, TTL + 3000, "expired");
        expect(router.get("procmond-1")?.health).toBe("healthy");
        expect(changes.map((c) => c.kind)).toEqual(["joined"]);
        expect(watcher.stats()).toMatchObject({ sweeps: 0, purges: 0 });
        // The sweep finds it by its heartbeat age (as the router saw it arrive: a moment after
        // the server stamped it).
        const swept = await until(() => {
          const changes = watcher.sweep();
          return changes.length > 0 ? changes : undefined;
        }, 1000);
        expect(swept).toMatchObject([{ kind: "stale", id: "procmond-1" }]);
        expect(router.findCapable(PROCESS)).toEqual([]);
      }
    },
  );
});

describe("router - a server upgrade from before 2.11 to 2.11+", () => {
  it("router - a bucket made by the old server keeps working on the new one and gets limit markers", async () => {
    const oldest = oldestServer();
    const newest = newestServer();
    const mesh = await meshOn(await NatsServer.start({ binary: oldest.path }));
    cleanups.push(() => mesh.dispose());
    const open = (name: string) => mesh.connect(name);
    const prefix = "upgrade";
    const ttl = 2000;
    const collectorNc = await open("collector");
    const before = watch(await open("router-before"), prefix, ttl);
    await before.watcher.start();
    expect(before.watcher.stats().expiry).toBe("sweep");
    const adv = advertise(collectorNc, prefix, "procmond-1", ttl);
    await adv.start();
    await until(() => before.router.size === 1, 2000, "advert on the old server");
    await before.watcher.stop();

    await mesh.ns.restart({ binary: newest.path });
    expect(await mesh.ns.version()).toBe(newest.version);

    // A coordinator's watcher on the new server binds the old bucket and turns markers on.
    const after = watch(await open("router-after"), prefix, ttl);
    await after.watcher.start();
    expect(after.watcher.stats().expiry).toBe("limit-marker");
    const status = (await bindAdvertBucket(await open("check"), { prefix })).status;
    expect(status.markerTTL).toBeGreaterThan(0);
    expect(status.ttl).toBe(ttl);
    // The collector's heartbeats carry on through the restart and reach the new router.
    const seq = adv.stats().heartbeatSeq;
    await until(
      () => (after.router.get("procmond-1")?.advert.heartbeatSeq ?? 0) > seq,
      5000,
      "heartbeats after the upgrade",
    );
    expect(after.router.routeTask(PROCESS).collectorId).toBe("procmond-1");
    // And its expiry is now announced.
    adv.pause();
    await until(
      () => after.router.get("procmond-1")?.health === "unavailable",
      ttl + 3000,
      "expiry announced after upgrade",
    );
    expect(after.changes.at(-1)).toMatchObject({ kind: "stale", id: "procmond-1" });
    expect(after.watcher.stats().purges).toBe(1);
  });
});
