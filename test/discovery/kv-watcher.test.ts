import { beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { decode, encode } from "../../src/codec.js";
import {
  Advertiser,
  CapabilityRouter,
  RouterWatcher,
  listAdverts,
  openAdvertBucket,
  type RouterChange,
} from "../../src/router/index.js";
import {
  CollectorAdvert,
  MAX_ADVERT_BYTES,
  CollectorEvent,
  SourceCaps,
  Subjects,
  type CollectorHealth,
} from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { advert, captureLogger, WARN } from "../router/fixtures.js";

const { PROCESS, NETWORK } = SourceCaps;
const TTL = 1000;
const SWEEP = 100;
const HEARTBEAT = 200;

const mesh = useMesh();
let collectorNc: NatsConnection;
let routerNc: NatsConnection;
let prefixSeq = 0;

beforeAll(async () => {
  collectorNc = await mesh.connect("collector");
  routerNc = await mesh.connect("router");
});

/** A router + watcher on the router connection, under a prefix of its own. */
async function routerFor(prefix = `w${++prefixSeq}`, opts: { publishEvents?: boolean } = {}) {
  const router = new CapabilityRouter({ prefix, heartbeatTimeoutMs: TTL });
  const { logger, lines } = captureLogger();
  const watcher = new RouterWatcher(routerNc, router, {
    sweepIntervalMs: SWEEP,
    logger,
    ...opts,
  });
  const changes: RouterChange[] = [];
  watcher.onChange((c) => changes.push(c));
  await watcher.start();
  return { prefix, router, watcher, changes, lines };
}

function advertiser(prefix: string, id: string, caps: number, health?: () => CollectorHealth) {
  const base = advert(id, caps);
  return new Advertiser(collectorNc, {
    prefix,
    ttlMs: TTL,
    heartbeatMs: HEARTBEAT,
    advert: () => ({ ...base, health: health?.() ?? "healthy" }),
  });
}

describe("router - KV watcher with a real nats-server", () => {
  it("router - a collector on its own connection is routable on another connection", async () => {
    const { prefix, router, watcher, changes } = await routerFor();
    const adv = advertiser(prefix, "procmond-1", PROCESS);
    await adv.start();
    await until(() => router.size === 1, 5000, "advert applied");
    const d = router.routeTask(PROCESS);
    expect(d.collectorId).toBe("procmond-1");
    expect(d.targetSubject).toBe(`${prefix}.collector.procmond-1.task`);
    expect(changes[0]).toMatchObject({ kind: "joined", id: "procmond-1", health: "healthy" });
    await adv.stop();
    await watcher.stop();
  });

  it("router - start resolves once the adverts already in the bucket are applied", async () => {
    const prefix = `w${++prefixSeq}`;
    const kv = await openAdvertBucket(collectorNc, { prefix, ttlMs: TTL });
    for (let i = 0; i < 20; i++) {
      await kv.put(`c${i}`, encode(CollectorAdvert, advert(`c${i}`, i % 2 ? PROCESS : NETWORK)));
    }
    const { router, watcher } = await routerFor(prefix);
    // No waiting: the snapshot is in the router when start() resolves.
    expect(router.size).toBe(20);
    expect(router.findCapable(PROCESS)).toHaveLength(10);
    await watcher.stop();
  });

  it("router - a collector whose heartbeats stop goes stale once its TTL has passed (within a sweep), and recovers when they resume", async () => {
    const { prefix, router, watcher, changes } = await routerFor();
    const adv = advertiser(prefix, "procmond-2", PROCESS);
    await adv.start();
    await until(() => router.get("procmond-2")?.health === "healthy", 5000);
    adv.pause();
    const paused = Date.now();
    // Not before the last heartbeat's TTL has passed (that beat came at most a heartbeat, with
    // its jitter, before the pause), and within a sweep of it; the slack is for a loaded machine.
    await until(() => router.get("procmond-2")?.health === "unavailable", TTL + SWEEP + 5000);
    const elapsed = Date.now() - paused;
    expect(elapsed).toBeGreaterThanOrEqual(TTL - 2 * HEARTBEAT);
    expect(elapsed).toBeLessThanOrEqual(TTL + SWEEP + 1500);
    expect(changes.at(-1)).toMatchObject({ kind: "stale", id: "procmond-2" });
    expect(() => router.routeTask(PROCESS)).toThrow(/unavailable/);

    adv.resume();
    await until(() => router.get("procmond-2")?.health === "healthy", 5000, "recovered");
    expect(changes.at(-1)).toMatchObject({
      kind: "recovered",
      id: "procmond-2",
      previousHealth: "unavailable",
    });
    expect(router.routeTask(PROCESS).collectorId).toBe("procmond-2");
    await adv.stop();
    await watcher.stop();
  });

  it("router - a graceful stop removes the collector at once", async () => {
    const { prefix, router, watcher, changes } = await routerFor();
    const adv = advertiser(prefix, "procmond-3", PROCESS);
    await adv.start();
    await until(() => router.size === 1, 5000);
    await adv.stop();
    // Removed by its delete, not judged by age: the TTL path would mark it unavailable instead.
    await until(() => router.size === 0, 5000, "collector left");
    expect(changes.at(-1)).toMatchObject({ kind: "left", id: "procmond-3" });
    expect(changes.some((c) => c.kind === "stale")).toBe(false);
    expect(() => router.findCapable(PROCESS)).toThrow(/no collector advertises PROCESS/);
    await watcher.stop();
  });

  it("router - health changes the collectors advertise re-rank them", async () => {
    const { prefix, router, watcher, changes } = await routerFor();
    let healthA: CollectorHealth = "healthy";
    let healthB: CollectorHealth = "degraded";
    const a = advertiser(prefix, "a", PROCESS, () => healthA);
    const b = advertiser(prefix, "b", PROCESS, () => healthB);
    await a.start();
    await b.start();
    await until(() => router.size === 2, 5000);
    expect(router.routeTask(PROCESS).collectorId).toBe("a");
    healthA = "degraded";
    healthB = "healthy";
    await a.beat();
    await b.beat();
    await until(() => router.routeTask(PROCESS).collectorId === "b", 5000, "b ranks first");
    expect(router.get("a")?.health).toBe("degraded");
    expect(changes.filter((c) => c.kind === "updated").map((c) => [c.id, c.health])).toEqual([
      ["a", "degraded"],
      ["b", "healthy"],
    ]);
    healthA = "unavailable";
    await a.beat();
    await until(() => router.findCapable(PROCESS).length === 1, 5000, "a out of routing");
    await a.stop();
    await b.stop();
    await watcher.stop();
  });

  it("router - a spoofed advert (key is not the id) and garbage bytes change nothing, and are logged once per key", async () => {
    const { prefix, router, watcher, lines } = await routerFor();
    const adv = advertiser(prefix, "victim", PROCESS);
    await adv.start();
    await until(() => router.size === 1, 5000);
    const kv = await new Kvm(collectorNc).open(new Subjects(prefix).bucket());
    const spoof = advert("victim", PROCESS | NETWORK, { health: "unavailable", heartbeatSeq: 1e9 });
    for (let i = 0; i < 3; i++) await kv.put("spoofer", encode(CollectorAdvert, spoof));
    await kv.put("junk", new Uint8Array([0xc1, 0xff, 0x00]));
    await kv.put("junk", "not msgpack at all");
    await kv.put("junk", encode(CollectorAdvert, { ...spoof, id: "junk", capabilities: 0x80 }));
    await until(() => watcher.stats().invalid === 6, 5000, "invalid adverts counted");
    expect(router.size).toBe(1);
    expect(router.get("victim")).toMatchObject({ health: "healthy" });
    expect(router.get("victim")?.advert.capabilities).toBe(PROCESS);
    expect(router.get("spoofer")).toBeUndefined();
    expect(() => router.findCapable(NETWORK)).toThrow(/no collector advertises NETWORK/);
    const warnings = lines.filter((l) => l.level === WARN && l.msg.includes("invalid"));
    expect(warnings.map((l) => l.key).sort()).toEqual(["junk", "spoofer"]);
    expect(warnings.find((l) => l.key === "spoofer")?.reason).toMatch(/not the advert's id/);
    // The bucket listing used by `status` flags the same keys.
    const listed = await listAdverts(kv);
    expect(listed.adverts.map((a) => a.id)).toEqual(["victim"]);
    expect(listed.invalid).toEqual(["junk", "spoofer"]);
    await adv.stop();
    await watcher.stop();
  });

  it("router - changes are published as CollectorEvents on the collector's event subject", async () => {
    const prefix = `w${++prefixSeq}`;
    const s = new Subjects(prefix);
    const events: { subject: string; event: CollectorEvent }[] = [];
    const sub = collectorNc.subscribe(s.collectorEvents(), {
      callback: (_err, m) => {
        events.push({ subject: m.subject, event: decode(CollectorEvent, m.data) });
      },
    });
    await collectorNc.flush();
    const { router, watcher } = await routerFor(prefix);
    const adv = advertiser(prefix, "netmond-1", NETWORK);
    await adv.start();
    await until(() => router.size === 1, 5000);
    adv.pause();
    await until(() => router.get("netmond-1")?.health === "unavailable", TTL + SWEEP + 500);
    adv.resume();
    await until(() => router.get("netmond-1")?.health === "healthy", 5000);
    await adv.stop();
    await until(() => events.length >= 4, 5000, "four events");
    expect(events.map((e) => e.event.kind)).toEqual(["joined", "stale", "recovered", "left"]);
    for (const e of events) {
      expect(e.subject).toBe(`${prefix}.event.collector.netmond-1`);
      expect(e.event.collectorId).toBe("netmond-1");
    }
    expect(events[0]?.event.advert?.capabilities).toBe(NETWORK);
    expect(events[1]?.event).toMatchObject({ health: "unavailable", previousHealth: "healthy" });
    expect(watcher.stats().published).toBe(4);
    sub.unsubscribe();
    await watcher.stop();
  });

  it("router - publishEvents false keeps the watcher silent on the bus", async () => {
    const { prefix, router, watcher } = await routerFor(undefined, { publishEvents: false });
    let seen = 0;
    const sub = collectorNc.subscribe(new Subjects(prefix).collectorEvents(), {
      callback: () => {
        seen++;
      },
    });
    await collectorNc.flush();
    const adv = advertiser(prefix, "quiet", PROCESS);
    await adv.start();
    await until(() => router.size === 1, 5000);
    await adv.stop();
    await until(() => router.size === 0, 5000);
    await routerNc.flush();
    await collectorNc.flush();
    expect(seen).toBe(0);
    expect(watcher.stats()).toMatchObject({ changes: 2, published: 0 });
    sub.unsubscribe();
    await watcher.stop();
  });

  it("router - events() streams changes until the watcher stops; onChange can unsubscribe", async () => {
    const { prefix, router, watcher } = await routerFor();
    const stream = watcher.events();
    const seen: string[] = [];
    const off = watcher.onChange((c) => seen.push(c.kind));
    const adv = advertiser(prefix, "fsmond-1", SourceCaps.FILESYSTEM);
    await adv.start();
    await until(() => router.size === 1, 5000);
    off();
    await adv.stop();
    await until(() => router.size === 0, 5000);
    const kinds: string[] = [];
    const done = (async () => {
      for await (const c of stream) kinds.push(`${c.kind}:${c.id}`);
    })();
    await watcher.stop();
    await done;
    expect(kinds).toEqual(["joined:fsmond-1", "left:fsmond-1"]);
    expect(seen).toEqual(["joined"]);
    await expect(stream.closed).resolves.toBeUndefined();
  });

  it("router - binding a bucket created with another TTL works and warns", async () => {
    const prefix = `w${++prefixSeq}`;
    await new Kvm(collectorNc).create(new Subjects(prefix).bucket(), { history: 1, ttl: 5000 });
    const { watcher, lines } = await routerFor(prefix);
    expect(watcher.stats().bucketTtlMs).toBe(5000);
    const w = lines.find((l) => l.level === WARN && l.msg.includes("other settings"));
    expect(w?.differences).toEqual([
      "max age 5000 ms (wanted 1000 ms)",
      `max value size -1 (wanted ${MAX_ADVERT_BYTES})`,
    ]);
    await watcher.stop();
  });

  it("router - a value past an advert's bound is refused by the server: never stored, never read", async () => {
    const { prefix, router, watcher } = await routerFor();
    const kv = await new Kvm(collectorNc).open(new Subjects(prefix).bucket());
    expect((await kv.status()).maxValueSize).toBe(MAX_ADVERT_BYTES);
    await expect(kv.put("big", new Uint8Array(MAX_ADVERT_BYTES + 1))).rejects.toThrow(/size/i);
    const entries = watcher.stats().entries;
    await kv.put("small", encode(CollectorAdvert, advert("small", PROCESS)));
    await until(() => router.get("small") !== undefined, 5000, "the advert within bounds");
    expect(watcher.stats().entries).toBe(entries + 1);
    expect(await kv.get("big")).toBeNull();
    await watcher.stop();
  });
});
