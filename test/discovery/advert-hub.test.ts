/**
 * Adverts that cost little, against a real nats-server: advertisers on one connection share one
 * bucket binding and one timer; an advert is put when something changes (a burst makes one put)
 * and otherwise refreshed every period; a collector puts its advert when its load crosses a level.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { decode, encode } from "../../src/codec.js";
import { Advertiser, openAdvertBucket } from "../../src/router/index.js";
import { AdvertHub } from "../../src/discovery/advert-hub.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { Collector } from "../../src/collector/index.js";
import { CollectorAdvert, SourceCaps, Subjects, Task } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { advert } from "../router/fixtures.js";

const { PROCESS } = SourceCaps;

const mesh = useMesh();
let nc: NatsConnection;

beforeAll(async () => {
  nc = await mesh.connect("collectors");
});

describe("router - adverts that cost little", () => {
  it("router - fifty advertisers on one connection bind the bucket once and share one timer", async () => {
    const prefix = "h1";
    const api: string[] = [];
    const spy = await mesh.connect("spy");
    spy.subscribe("$JS.API.STREAM.>", { callback: (_e, m) => void api.push(m.subject) });
    await spy.flush();
    const all = Array.from(
      { length: 50 },
      (_, i) =>
        new Advertiser(nc, {
          prefix,
          ttlMs: 10_000,
          heartbeatMs: 5000,
          advert: () => advert(`c${i}`, PROCESS),
        }),
    );
    await Promise.all(all.map((a) => a.start()));
    await spy.flush();
    // Binding (create or info of the bucket's stream) happens once, not once per collector; each
    // collector reads its own key once (to continue its heartbeatSeq), through the API or directly.
    const binds = api.filter((s) => !s.includes(".MSG."));
    expect(binds.length).toBeGreaterThanOrEqual(1);
    expect(binds.length).toBeLessThanOrEqual(4);
    expect(api.length - binds.length).toBeLessThanOrEqual(50);
    const hub = AdvertHub.of(nc, { prefix, ttlMs: 10_000, putTimeoutMs: 5000 }, silentLogger);
    expect(hub.scheduled).toBe(50);
    const kv = await openAdvertBucket(nc, { prefix, ttlMs: 10_000 });
    expect((await kv.status()).values).toBe(50);
    await Promise.all(all.map((a) => a.stop()));
    expect(hub.scheduled).toBe(0);
  });

  it("router - a change is put within changeIntervalMs, a burst of them as one put; refreshes follow every period", async () => {
    const prefix = "h2";
    let inFlight = 0;
    const base = advert("busy", PROCESS);
    const adv = new Advertiser(nc, {
      prefix,
      ttlMs: 3000,
      heartbeatMs: 400,
      changeIntervalMs: 200,
      jitter: 0,
      advert: () => ({ ...base, inFlight }),
    });
    const kv = await openAdvertBucket(nc, { prefix, ttlMs: 3000 });
    const read = async () => decode(CollectorAdvert, (await kv.get("busy"))!.value);
    await adv.start();
    for (inFlight = 1; inFlight <= 5; inFlight++) adv.changed();
    inFlight = 5;
    await until(() => adv.stats().changes >= 1 && adv.stats().puts >= 2, 5000, "the change put");
    // The burst was one put (a refresh may also have come, on a slow machine).
    expect(adv.stats()).toMatchObject({ changes: 1, failures: 0 });
    expect((await read()).inFlight).toBe(5);
    await until(() => adv.stats().puts >= 4, 3000, "refreshes");
    expect(adv.stats().changes).toBe(1);
    await adv.stop();
  });

  it("router - a collector puts its advert when its load crosses half of maxConcurrency, not for every task", async () => {
    const prefix = "h3";
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const c = new Collector({
      id: "lvl",
      type: "test",
      capabilities: PROCESS,
      prefix,
      maxConcurrency: 4,
      ttlMs: 60_000,
      handler: async () => {
        await gate;
        return "done";
      },
    });
    await c.start(nc);
    const kv = await openAdvertBucket(nc, { prefix, ttlMs: 60_000 });
    const read = async () => decode(CollectorAdvert, (await kv.get("lvl"))!.value);
    const subject = new Subjects(prefix).collectorTask("lvl");
    const send = (i: number) => {
      const now = Date.now();
      const task: Task = {
        taskId: `t${i}`,
        correlationId: `k${i}`,
        requiredCapabilities: PROCESS,
        domain: "process",
        priority: 1,
        createdAt: now,
        deadline: now + 30_000,
        attempt: 0,
      };
      nc.publish(subject, encode(Task, task));
    };
    send(1); // 1 of 4: below half, no put
    await nc.flush();
    await until(() => c.inFlight === 1, 2000, "one running");
    send(2); // 2 of 4: half
    await until(async () => (await read()).inFlight === 2, 3000, "the change put");
    expect(c.advertiser?.stats()).toMatchObject({ puts: 2, changes: 1 });
    release();
    await until(async () => (await read()).inFlight === 0, 3000, "back below half");
    expect(c.advertiser?.stats().changes).toBe(2);
    await c.stop();
  });
});
