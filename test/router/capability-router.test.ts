import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { InvalidArgumentError, NoCapableCollectorError } from "../../src/errors.js";
import { CapabilityRouter, parseRouterOptions } from "../../src/router/index.js";
import { SourceCaps } from "../../subjects/index.js";
import { advert, beat } from "./fixtures.js";

const { PROCESS, NETWORK, FILESYSTEM, REALTIME, KERNEL_LEVEL } = SourceCaps;

function setup(opts: ConstructorParameters<typeof CapabilityRouter>[0] = {}) {
  const clock = new ManualClock();
  const router = new CapabilityRouter(opts, { clock });
  return { clock, router };
}

describe("router - capability routing (core)", () => {
  it("router - PROCESS routes to the process collector and NETWORK to the network one", () => {
    const { router } = setup();
    router.upsert(advert("procmond-1", PROCESS));
    router.upsert(advert("netmond-1", NETWORK));
    const p = router.routeTask(PROCESS);
    expect(p.collectorId).toBe("procmond-1");
    expect(p.targetSubject).toBe("daemoneye.collector.procmond-1.task");
    expect(p.fallbacks).toEqual([]);
    expect(router.routeTask(NETWORK).collectorId).toBe("netmond-1");
  });

  it("router - a collector matches only when it has every required flag", () => {
    const { router } = setup();
    router.upsert(advert("plain", PROCESS));
    router.upsert(advert("kernel", PROCESS | KERNEL_LEVEL | REALTIME));
    expect(router.findCapable(PROCESS | KERNEL_LEVEL).map((c) => c.id)).toEqual(["kernel"]);
    expect(router.findCapable(PROCESS).map((c) => c.id)).toEqual(["kernel", "plain"]);
  });

  it("router - healthy beats degraded, and the degraded one is the fallback", () => {
    const { router } = setup();
    router.upsert(advert("a-degraded", PROCESS, { health: "degraded" }));
    router.upsert(advert("b-healthy", PROCESS));
    const d = router.routeTask(PROCESS);
    expect(d.collectorId).toBe("b-healthy");
    expect(d.confidence).toBe(1);
    expect(d.fallbacks.map((c) => [c.id, c.confidence])).toEqual([["a-degraded", 0.5]]);
  });

  it("router - with a 100 ms timeout a collector whose heartbeat is 1 s old is stale and Unavailable", () => {
    const { clock, router } = setup({ heartbeatTimeoutMs: 100 });
    router.upsert(advert("procmond-1", PROCESS));
    clock.advance(1000);
    const changes = router.checkStale();
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: "stale",
      id: "procmond-1",
      health: "unavailable",
      previousHealth: "healthy",
    });
    expect(router.get("procmond-1")?.health).toBe("unavailable");
    expect(router.findCapable(PROCESS)).toEqual([]);
    expect(() => router.routeTask(PROCESS)).toThrow(NoCapableCollectorError);
    // Reported once, not at every sweep.
    expect(router.checkStale()).toEqual([]);
  });

  it("router - a stale collector recovers by itself with its next heartbeat", () => {
    const { clock, router } = setup({ heartbeatTimeoutMs: 100 });
    const a = advert("procmond-1", PROCESS);
    router.upsert(a);
    clock.advance(1000);
    router.checkStale();
    // A replay of the advert it had when it went stale does not bring it back.
    expect(router.upsert(a)).toBeUndefined();
    expect(router.get("procmond-1")?.health).toBe("unavailable");
    const change = router.upsert(beat(a));
    expect(change).toMatchObject({
      kind: "recovered",
      health: "healthy",
      previousHealth: "unavailable",
    });
    expect(router.routeTask(PROCESS).collectorId).toBe("procmond-1");
  });

  it("router - markUnavailable takes a collector out at once until its next heartbeat", () => {
    const { router } = setup();
    const a = advert("a", PROCESS);
    router.upsert(a);
    router.upsert(advert("b", PROCESS, { health: "degraded" }));
    expect(router.routeTask(PROCESS).collectorId).toBe("a");
    expect(router.markUnavailable("a", "no responders")).toMatchObject({
      kind: "stale",
      id: "a",
      health: "unavailable",
      previousHealth: "healthy",
      reason: "no responders",
    });
    expect(router.markUnavailable("a", "again")).toBeUndefined();
    expect(router.markUnavailable("nobody", "x")).toBeUndefined();
    expect(router.routeTask(PROCESS).collectorId).toBe("b");
    expect(router.upsert(beat(a))?.kind).toBe("recovered");
    expect(router.routeTask(PROCESS).collectorId).toBe("a");
  });

  it("router - a restarted collector (new startedAt, heartbeatSeq from 0) is applied", () => {
    const { router } = setup();
    const a = advert("a", PROCESS, { heartbeatSeq: 50 });
    router.upsert(a);
    router.markUnavailable("a", "no responders");
    const again = advert("a", PROCESS, { startedAt: a.startedAt + 10_000, heartbeatSeq: 0 });
    expect(router.upsert(again)?.kind).toBe("recovered");
    expect(router.get("a")?.advert.startedAt).toBe(again.startedAt);
  });

  it("router - ties are broken by id, whatever the insertion order", () => {
    const ids = ["delta", "alpha", "charlie", "bravo"];
    for (const order of [ids, [...ids].reverse()]) {
      const { router } = setup();
      for (const id of order) router.upsert(advert(id, PROCESS, { startedAt: 1 }));
      const d = router.routeTask(PROCESS);
      expect(d.collectorId).toBe("alpha");
      expect(d.fallbacks.map((c) => c.id)).toEqual(["bravo", "charlie", "delta"]);
    }
  });

  it("router - a capability nobody advertises is a typed error naming it", () => {
    const { router } = setup();
    router.upsert(advert("procmond-1", PROCESS));
    let err: unknown;
    try {
      router.routeTask(PROCESS | REALTIME);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NoCapableCollectorError);
    const e = err as NoCapableCollectorError;
    expect(e.code).toBe("NO_CAPABLE_COLLECTOR");
    expect(e.required).toBe(PROCESS | REALTIME);
    expect(e.capabilities).toBe("PROCESS|REALTIME");
    expect(e.message).toContain("PROCESS|REALTIME");
    expect(() => router.findCapable(FILESYSTEM)).toThrow(NoCapableCollectorError);
    expect(() => new CapabilityRouter().routeTask(PROCESS)).toThrow(/no collector advertises/);
  });

  it("router - when every capable collector is Unavailable, findCapable is empty and routeTask says so", () => {
    const { router } = setup();
    router.upsert(advert("a", PROCESS));
    router.upsert(advert("b", PROCESS, { health: "unavailable" }));
    router.markUnavailable("a", "gone");
    expect(router.findCapable(PROCESS)).toEqual([]);
    expect(() => router.routeTask(PROCESS)).toThrow(
      /no available collector for PROCESS: all 2 advertising it are unavailable/,
    );
  });

  it("router - advertised load lowers confidence; a saturated instance stays a last-resort fallback", () => {
    const { router } = setup();
    router.upsert(advert("a-busy", PROCESS, { inFlight: 8, maxConcurrency: 10 }));
    router.upsert(advert("b-idle", PROCESS, { inFlight: 0 }));
    router.upsert(advert("c-full", PROCESS, { inFlight: 10, maxConcurrency: 10 }));
    router.upsert(advert("d-degraded-idle", PROCESS, { health: "degraded" }));
    const d = router.routeTask(PROCESS);
    expect(d.collectorId).toBe("b-idle");
    expect(d.fallbacks.map((c) => c.id)).toEqual(["d-degraded-idle", "a-busy", "c-full"]);
    const conf = Object.fromEntries(d.fallbacks.map((c) => [c.id, c.confidence]));
    expect(conf["a-busy"]).toBeCloseTo(0.2);
    expect(conf["c-full"]).toBeCloseTo(0.05);
  });

  it("router - confidence decays with heartbeat age: floor 0.5 while fresh, 0.1 once past the timeout", () => {
    const { clock, router } = setup({ heartbeatTimeoutMs: 1000 });
    router.upsert(advert("a", PROCESS));
    clock.advance(250);
    expect(router.get("a")?.confidence).toBeCloseTo(0.75);
    expect(router.routeTask(PROCESS).confidence).toBeCloseTo(0.75);
    clock.advance(500);
    expect(router.get("a")?.confidence).toBe(0.5);
    clock.advance(300);
    // Past the timeout but not yet swept: still routable, at the stale confidence.
    expect(router.routeTask(PROCESS).confidence).toBeCloseTo(0.1);
    expect(router.checkStale().map((c) => c.id)).toEqual(["a"]);
    expect(router.get("a")?.confidence).toBe(0);
  });

  it("router - upsert reports joined, updated and nothing for a plain heartbeat; remove reports left", () => {
    const { router } = setup();
    const a = advert("a", PROCESS);
    expect(router.upsert(a)).toEqual({ kind: "joined", id: "a", health: "healthy", advert: a });
    const hb = beat(a, { inFlight: 3 });
    expect(router.upsert(hb)).toBeUndefined();
    expect(router.get("a")?.advert.inFlight).toBe(3);
    const degraded = beat(hb, { health: "degraded" });
    expect(router.upsert(degraded)).toEqual({
      kind: "updated",
      id: "a",
      health: "degraded",
      previousHealth: "healthy",
      advert: degraded,
    });
    expect(router.upsert(beat(degraded, { capabilities: PROCESS | REALTIME }))?.kind).toBe(
      "updated",
    );
    expect(router.upsert(beat(degraded, { heartbeatSeq: 10, maxConcurrency: 20 }))?.kind).toBe(
      "updated",
    );
    expect(router.remove("a")).toMatchObject({
      kind: "left",
      id: "a",
      health: "unavailable",
      previousHealth: "degraded",
    });
    expect(router.remove("a")).toBeUndefined();
    expect(router.size).toBe(0);
  });

  it("router - out-of-order heartbeats of one incarnation are ignored", () => {
    const { router } = setup();
    const a = advert("a", PROCESS, { heartbeatSeq: 5, inFlight: 5 });
    router.upsert(a);
    expect(router.upsert({ ...a, heartbeatSeq: 4, inFlight: 1, health: "degraded" })).toBe(
      undefined,
    );
    expect(router.get("a")?.advert.inFlight).toBe(5);
    expect(router.get("a")?.health).toBe("healthy");
  });

  it("router - suspects are collectors past 1.5 heartbeats of silence but not yet stale", () => {
    const { clock, router } = setup({ heartbeatTimeoutMs: 3000, suspectAfterMs: 1500 });
    expect(router.options.suspectAfterMs).toBe(1500);
    router.upsert(advert("quiet", PROCESS));
    clock.advance(1000);
    router.upsert(advert("chatty", PROCESS));
    expect(router.suspects()).toEqual([]);
    clock.advance(600);
    expect(router.suspects()).toEqual(["quiet"]);
    clock.advance(1000);
    expect(router.suspects()).toEqual(["chatty", "quiet"]);
    clock.advance(500);
    expect(router.suspects()).toEqual(["chatty"]);
    router.checkStale();
    expect(router.suspects()).toEqual(["chatty"]);
  });

  it("router - a collector Unavailable and silent past forgetAfterMs is forgotten", () => {
    const { clock, router } = setup({ heartbeatTimeoutMs: 100, forgetAfterMs: 1000 });
    router.upsert(advert("gone", PROCESS));
    clock.advance(200);
    expect(router.checkStale().map((c) => c.kind)).toEqual(["stale"]);
    clock.advance(900);
    expect(router.checkStale().map((c) => [c.kind, c.id])).toEqual([["left", "gone"]]);
    expect(router.size).toBe(0);
    expect(() => router.findCapable(PROCESS)).toThrow(NoCapableCollectorError);
  });

  it("router - stats count health, flags, routed and unroutable lookups", () => {
    const { router } = setup();
    router.upsert(advert("p", PROCESS | REALTIME));
    router.upsert(advert("n", NETWORK, { health: "degraded" }));
    router.upsert(advert("f", FILESYSTEM));
    router.markUnavailable("f", "gone");
    router.routeTask(PROCESS);
    router.findCapable(NETWORK);
    expect(() => router.routeTask(KERNEL_LEVEL)).toThrow(NoCapableCollectorError);
    expect(router.findCapable(FILESYSTEM)).toEqual([]);
    expect(router.stats()).toEqual({
      total: 3,
      healthy: 1,
      degraded: 1,
      unavailable: 1,
      byCapability: {
        PROCESS: 1,
        NETWORK: 1,
        FILESYSTEM: 1,
        PERFORMANCE: 0,
        REALTIME: 1,
        KERNEL_LEVEL: 0,
        SYSTEM_WIDE: 0,
      },
      routed: 2,
      noCapable: 2,
    });
  });

  it("router - list is every collector in any health, sorted by id", () => {
    const { router } = setup();
    router.upsert(advert("b", PROCESS));
    router.upsert(advert("a", NETWORK));
    router.upsert(advert("c", PROCESS));
    router.markUnavailable("c", "gone");
    expect(router.list().map((c) => [c.id, c.health])).toEqual([
      ["a", "healthy"],
      ["b", "healthy"],
      ["c", "unavailable"],
    ]);
    expect(router.get("zz")).toBeUndefined();
  });

  it("router - the prefix option names the target subject", () => {
    const router = new CapabilityRouter({ prefix: "acme" });
    router.upsert(advert("x", PROCESS));
    expect(router.routeTask(PROCESS).targetSubject).toBe("acme.collector.x.task");
  });

  it("router - an unknown capability bit is an invalid argument", () => {
    const { router } = setup();
    router.upsert(advert("x", PROCESS));
    expect(() => router.routeTask(0x80)).toThrow(InvalidArgumentError);
    expect(() => router.findCapable(-1)).toThrow(InvalidArgumentError);
  });
});

describe("router - options", () => {
  it("router - defaults: 30 s timeout, suspect after 22.5 s (a 15 s refresh missed), prefix daemoneye", () => {
    expect(parseRouterOptions()).toEqual({
      prefix: "daemoneye",
      heartbeatTimeoutMs: 30_000,
      suspectAfterMs: 22_500,
      forgetAfterMs: 60_000,
    });
    expect(parseRouterOptions({ heartbeatTimeoutMs: 100, forgetAfterMs: 0 }).suspectAfterMs).toBe(
      75,
    );
  });

  it("router - options out of their domain are rejected with the property named", () => {
    const bad: [Parameters<typeof parseRouterOptions>[0], string][] = [
      [{ heartbeatTimeoutMs: 0 }, "heartbeatTimeoutMs"],
      [{ heartbeatTimeoutMs: Number.NaN }, "heartbeatTimeoutMs"],
      [{ suspectAfterMs: 30_000 }, "suspectAfterMs"],
      [{ forgetAfterMs: 10 }, "forgetAfterMs"],
    ];
    for (const [opts, prop] of bad) {
      expect(() => parseRouterOptions(opts)).toThrow(InvalidArgumentError);
      try {
        parseRouterOptions(opts);
      } catch (e) {
        expect((e as InvalidArgumentError).property).toBe(prop);
      }
    }
    expect(() => parseRouterOptions({ prefix: "a.b" })).toThrow(/prefix/);
  });
});

describe("router - overdue adverts, for an owner that judges them", () => {
  it("router - overdue lists routable collectors older than the age, oldest first, and changes nothing", () => {
    const { clock, router } = setup({ heartbeatTimeoutMs: 3000 });
    const a = advert("a", PROCESS);
    router.upsert(a);
    clock.advance(1000);
    router.upsert(advert("b", PROCESS));
    router.upsert(advert("c", PROCESS));
    clock.advance(1000);
    router.upsert(beat(a)); // a refreshed: now the freshest
    expect(router.overdue(500)).toEqual(["b", "c"]);
    expect(router.overdue(1500)).toEqual([]);
    clock.advance(2500);
    expect(router.overdue()).toEqual(["b", "c"]); // default age: the heartbeat timeout
    router.markUnavailable("b", "proof");
    expect(router.overdue()).toEqual(["c"]); // only routable ones
    expect(router.routable).toBe(2);
    expect(router.get("c")?.health).toBe("healthy"); // listing judged nothing
  });

  it("router - an expired advert is overdue whatever its age until the next advert; touch counts an answer as one", () => {
    const { clock, router } = setup({ heartbeatTimeoutMs: 3000 });
    const a = advert("a", PROCESS);
    router.upsert(a);
    router.upsert(advert("b", PROCESS));
    expect(router.expire("a")).toBe(true);
    expect(router.expire("nobody")).toBe(false);
    expect(router.overdue()).toEqual(["a"]);
    router.upsert(beat(a));
    expect(router.overdue()).toEqual([]);
    clock.advance(3500);
    expect(router.overdue()).toEqual(["b", "a"]);
    expect(router.touch("b")).toBe(true);
    expect(router.overdue()).toEqual(["a"]);
    router.markUnavailable("a", "gone");
    expect(router.touch("a")).toBe(false); // only an advert brings it back
  });

  it("router - forgetSilent forgets only collectors long unavailable, and never marks anyone", () => {
    const { clock, router } = setup({ heartbeatTimeoutMs: 100, forgetAfterMs: 1000 });
    router.upsert(advert("quiet", PROCESS));
    router.upsert(advert("gone", PROCESS));
    router.markUnavailable("gone", "probe: no responders");
    clock.advance(1001);
    expect(router.forgetSilent().map((c) => [c.kind, c.id])).toEqual([["left", "gone"]]);
    expect(router.get("quiet")?.health).toBe("healthy"); // stale by age, but not judged here
  });
});
