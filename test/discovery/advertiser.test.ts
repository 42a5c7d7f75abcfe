import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { decode } from "../../src/codec.js";
import { InvalidArgumentError } from "../../src/errors.js";
import {
  Advertiser,
  CapabilityRouter,
  RouterWatcher,
  openAdvertBucket,
} from "../../src/router/index.js";
import { CollectorAdvert, SourceCaps } from "../../subjects/index.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";
import { advert, captureLogger, WARN } from "../router/fixtures.js";

const { PROCESS } = SourceCaps;
const TTL = 1000;

let mesh: Mesh;
let nc: NatsConnection;

beforeAll(async () => {
  mesh = await startMesh();
  nc = await mesh.connect("collector");
});

afterAll(async () => {
  await mesh?.dispose();
});

describe("router - advertiser", () => {
  it("router - the advertiser stamps heartbeatSeq and heartbeatAt and puts current load on every beat", async () => {
    const prefix = "a1";
    let inFlight = 0;
    const base = advert("procmond-1", PROCESS);
    const adv = new Advertiser(nc, {
      prefix,
      ttlMs: TTL,
      heartbeatMs: 50,
      advert: () => ({ ...base, inFlight }),
    });
    await adv.start();
    const kv = await openAdvertBucket(nc, { prefix, ttlMs: TTL });
    const read = async () => {
      const e = await kv.get("procmond-1");
      return e ? decode(CollectorAdvert, e.value) : undefined;
    };
    // The first refresh may already have landed (it comes 0.1–1 heartbeat after start).
    const first = await read();
    expect(first?.heartbeatSeq).toBeGreaterThanOrEqual(1);
    expect(Math.abs((first?.heartbeatAt ?? 0) - Date.now())).toBeLessThan(1000);
    inFlight = 7;
    const later = await until(async () => {
      const a = await read();
      const seen = first?.heartbeatSeq ?? 1;
      return a && a.heartbeatSeq >= seen + 2 && a.inFlight === 7 ? a : undefined;
    }, 5000);
    expect(later?.heartbeatAt).toBeGreaterThanOrEqual(first?.heartbeatAt ?? 0);
    expect(adv.stats()).toMatchObject({ failures: 0 });
    expect(adv.stats().puts).toBeGreaterThanOrEqual(3);
    await adv.stop();
    expect(await kv.get("procmond-1")).toMatchObject({ operation: "DEL" });
  });

  it("router - an invalid advert or options are rejected up front", async () => {
    const bad = new Advertiser(nc, {
      prefix: "a2",
      advert: () => advert("bad.id", PROCESS),
    });
    await expect(bad.start()).rejects.toThrow(InvalidArgumentError);
    await expect(bad.start()).rejects.toThrow(/id/);
    expect(
      () =>
        new Advertiser(nc, { advert: () => advert("x", PROCESS), heartbeatMs: 3000, ttlMs: 3000 }),
    ).toThrow(/heartbeatMs/);
    await bad.stop();
  });

  it("router - a collector restarted in the same process continues its heartbeatSeq and is not ignored", async () => {
    const prefix = "a3";
    const router = new CapabilityRouter({ prefix, heartbeatTimeoutMs: TTL });
    const watcher = new RouterWatcher(nc, router, { sweepIntervalMs: 100 });
    await watcher.start();
    // Same advert, same startedAt: as a Collector object that stops and starts again.
    const base = advert("procmond-1", PROCESS);
    const first = new Advertiser(nc, { prefix, ttlMs: TTL, heartbeatMs: 100, advert: () => base });
    await first.start();
    await until(() => (router.get("procmond-1")?.advert.heartbeatSeq ?? 0) >= 3, 2000);
    first.pause(); // as if it crashed: the advert stays
    const last = first.stats().heartbeatSeq;
    const { logger, lines } = captureLogger();
    const second = new Advertiser(nc, {
      prefix,
      ttlMs: TTL,
      heartbeatMs: 100,
      advert: () => base,
      logger,
    });
    await second.start();
    expect(second.stats().heartbeatSeq).toBe(last + 1);
    await until(() => router.get("procmond-1")?.advert.heartbeatSeq === last + 2, 5000);
    // Same startedAt: not taken for a second collector with the same id.
    expect(lines.filter((l) => l.level === WARN)).toEqual([]);
    await second.stop();
    await first.stop();
    await watcher.stop();
  });

  it("router - two live collectors with one id are reported", async () => {
    const prefix = "a4";
    const one = new Advertiser(nc, {
      prefix,
      ttlMs: TTL,
      heartbeatMs: 200,
      advert: () => advert("dup", PROCESS),
    });
    await one.start();
    const { logger, lines } = captureLogger();
    const two = new Advertiser(nc, {
      prefix,
      ttlMs: TTL,
      heartbeatMs: 200,
      advert: () => advert("dup", PROCESS),
      logger,
    });
    await two.start();
    expect(lines.some((l) => l.level === WARN && l.msg.includes("ids must be unique"))).toBe(true);
    await one.stop();
    await two.stop();
  });

  it("router - heartbeats resume within the TTL after a server restart; failures are logged once, never rejected", async () => {
    const prefix = "a5";
    const own = await mesh.connect("flaky");
    const { logger, lines } = captureLogger();
    const adv = new Advertiser(own, {
      prefix,
      ttlMs: 3000,
      heartbeatMs: 100,
      advert: () => advert("procmond-9", PROCESS),
      logger,
    });
    await adv.start();
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on("unhandledRejection", onRejection);
    try {
      await mesh.ns.restart();
      const before = adv.stats().puts;
      // A put lost in the disconnect must not hold the next beats for the 5 s JetStream default.
      await until(() => adv.stats().puts > before + 2, 2000, "puts after reconnect");
      expect(rejections).toEqual([]);
      const warns = lines.filter((l) => l.level === WARN && l.msg.includes("put failed"));
      expect(warns.length).toBeLessThanOrEqual(1);
    } finally {
      process.off("unhandledRejection", onRejection);
      await adv.stop();
    }
  });
});
