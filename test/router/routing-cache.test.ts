import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ManualClock } from "../../src/clock.js";
import { NoCapableCollectorError } from "../../src/errors.js";
import { LoadBalancer } from "../../src/balancer/index.js";
import {
  CapabilityRouter,
  confidence,
  type Candidate,
  type RouterUpdate,
} from "../../src/router/index.js";
import {
  ALL_CAPS,
  hasCaps,
  SourceCaps,
  type CollectorAdvert,
  type CollectorHealth,
} from "../../subjects/index.js";
import { advert, beat } from "./fixtures.js";
import { ROUTE_CACHE_MS } from "../../src/router/route-cache.js";

const { PROCESS, NETWORK, REALTIME } = SourceCaps;

describe("router - lookups and the change feed", () => {
  it("router - a collector that joins is routable at once, even for a cached capability set", () => {
    const clock = new ManualClock();
    const router = new CapabilityRouter({}, { clock });
    router.upsert(advert("b", PROCESS, { health: "degraded" }));
    expect(router.routeTask(PROCESS).collectorId).toBe("b");
    router.upsert(advert("a", PROCESS));
    expect(router.routeTask(PROCESS).collectorId).toBe("a");
  });

  it("router - health and capability changes re-rank at once; leaving drops the candidate", () => {
    const clock = new ManualClock();
    const router = new CapabilityRouter({}, { clock });
    const a = advert("a", PROCESS | REALTIME);
    router.upsert(a);
    router.upsert(advert("b", PROCESS));
    expect(router.routeTask(PROCESS).collectorId).toBe("a");
    expect(router.routeTask(PROCESS | REALTIME).collectorId).toBe("a");
    const degraded = beat(a, { health: "degraded" });
    router.upsert(degraded);
    expect(router.routeTask(PROCESS).collectorId).toBe("b");
    router.upsert(beat(degraded, { capabilities: NETWORK }));
    expect(router.findCapable(PROCESS).map((c) => c.id)).toEqual(["b"]);
    expect(() => router.routeTask(PROCESS | REALTIME)).toThrow(NoCapableCollectorError);
    expect(router.routeTask(NETWORK).collectorId).toBe("a");
    router.remove("b");
    expect(() => router.findCapable(PROCESS)).toThrow(NoCapableCollectorError);
  });

  it("router - a heartbeat's new load and age count at the next decision", () => {
    const clock = new ManualClock();
    const router = new CapabilityRouter({ heartbeatTimeoutMs: 3000 }, { clock });
    const a = advert("a", PROCESS);
    router.upsert(a);
    router.upsert(advert("b", PROCESS, { inFlight: 5 }));
    expect(router.routeTask(PROCESS).collectorId).toBe("a");
    router.upsert(beat(a, { inFlight: 9 }));
    // b (half loaded) now beats a (90% loaded), with no refresh interval to wait for
    expect(router.routeTask(PROCESS).collectorId).toBe("b");
    clock.advance(1000);
    router.upsert(beat(a, { heartbeatSeq: 5, inFlight: 0 }));
    // a is idle and fresh; b's advert is 1 s old
    expect(router.routeTask(PROCESS).collectorId).toBe("a");
    expect(router.findCapable(PROCESS)[1]!.confidence).toBeCloseTo(0.5 * (2 / 3));
  });

  it("router - a heartbeat below the best keeps its answer with fresh fallbacks; one that takes the lead changes it", () => {
    const clock = new ManualClock();
    const router = new CapabilityRouter({ heartbeatTimeoutMs: 3000 }, { clock });
    router.upsert(advert("a", PROCESS, { inFlight: 1 }));
    const b = advert("b", PROCESS, { inFlight: 4 });
    router.upsert(b);
    const c = advert("c", PROCESS, { inFlight: 6 });
    router.upsert(c);
    const first = router.routeTask(PROCESS);
    expect(first.collectorId).toBe("a");
    // b reports more load but stays below a: the answer stands, its fallbacks show b's new load.
    const loaded = beat(b, { inFlight: 7 });
    router.upsert(loaded);
    const second = router.routeTask(PROCESS);
    expect(second).toBe(first);
    expect(second.fallbacks.map((c) => [c.id, c.advert.inFlight])).toEqual([
      ["c", 6],
      ["b", 7],
    ]);
    // c goes idle: it is best at once, within the same scoring window.
    router.upsert(beat(c, { inFlight: 0 }));
    expect(router.routeTask(PROCESS).collectorId).toBe("c");
    expect(router.routeTask(PROCESS).fallbacks.map((c) => c.id)).toEqual(["a", "b"]);
  });

  it("router - follow replays who is registered, then tells every change and every heartbeat", () => {
    const clock = new ManualClock();
    const router = new CapabilityRouter(
      { heartbeatTimeoutMs: 100, forgetAfterMs: 1000 },
      { clock },
    );
    const b = advert("b", PROCESS);
    router.upsert(b);
    router.upsert(advert("a", NETWORK, { health: "degraded" }));
    const seen: RouterUpdate[] = [];
    const stop = router.follow((u) => seen.push(u));
    expect(seen.map((u) => [u.kind, u.id, u.health])).toEqual([
      ["joined", "a", "degraded"],
      ["joined", "b", "healthy"],
    ]);
    seen.length = 0;
    const hb = beat(b, { inFlight: 4 });
    expect(router.upsert(hb)).toBeUndefined(); // a heartbeat is no RouterChange: never published
    expect(router.upsert(hb)).toBeUndefined(); // a replay is not applied: nothing told
    router.upsert(beat(hb, { maxConcurrency: 20 }));
    router.markUnavailable("a", "no responders");
    clock.advance(200);
    router.checkStale();
    clock.advance(1000);
    router.checkStale();
    expect(seen.map((u) => [u.kind, u.id])).toEqual([
      ["heartbeat", "b"],
      ["updated", "b"],
      ["stale", "a"],
      ["stale", "b"],
      ["left", "a"], // forgotten in the order they went out
      ["left", "b"],
    ]);
    expect(seen[0]).toEqual({ kind: "heartbeat", id: "b", health: "healthy", advert: hb });
    stop();
    router.upsert(advert("c", PROCESS));
    expect(seen).toHaveLength(6);
  });

  it("router - lookups, and a balancer fed by follow, agree with a full scan under any sequence of changes", () => {
    type Op =
      | { op: "upsert"; id: number; caps: number; health: CollectorHealth; inFlight: number }
      | { op: "beat"; id: number; inFlight: number }
      | { op: "remove"; id: number }
      | { op: "mark"; id: number }
      | { op: "advance"; ms: number }
      | { op: "sweep" }
      | { op: "route"; required: number };
    const id = fc.integer({ min: 0, max: 4 });
    const caps = fc.integer({ min: 0, max: ALL_CAPS });
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constant("upsert" as const),
        id,
        caps,
        health: fc.constantFrom<CollectorHealth>("healthy", "degraded", "unavailable"),
        inFlight: fc.integer({ min: 0, max: 12 }),
      }),
      fc.record({
        op: fc.constant("beat" as const),
        id,
        inFlight: fc.integer({ min: 0, max: 12 }),
      }),
      fc.record({ op: fc.constant("remove" as const), id }),
      fc.record({ op: fc.constant("mark" as const), id }),
      // Time stands still or moves past the reuse window, so every score is exact (the window
      // itself is tested below).
      fc.record({
        op: fc.constant("advance" as const),
        ms: fc.oneof(fc.constant(0), fc.integer({ min: ROUTE_CACHE_MS, max: 1500 })),
      }),
      fc.record({ op: fc.constant("sweep" as const) }),
      fc.record({
        op: fc.constant("route" as const),
        required: fc.constantFrom(0, PROCESS, NETWORK, PROCESS | REALTIME, REALTIME),
      }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 100 }), (ops) => {
        const clock = new ManualClock();
        const timeout = 1000;
        const router = new CapabilityRouter(
          { heartbeatTimeoutMs: timeout, forgetAfterMs: 0 },
          { clock },
        );
        // A balancer fed only by the router's changes and heartbeats.
        const lb = new LoadBalancer({}, { clock });
        router.follow((u) => lb.apply(u));
        // The model: what the router should know, scanned in full at every lookup.
        const model = new Map<
          string,
          { advert: CollectorAdvert; health: CollectorHealth; seen: number }
        >();
        for (const o of ops) {
          const key =
            o.op === "upsert" || o.op === "beat" || o.op === "remove" || o.op === "mark"
              ? `c${o.id}`
              : "";
          switch (o.op) {
            case "upsert": {
              const a = advert(key, o.caps, { health: o.health, inFlight: o.inFlight });
              router.upsert(a);
              model.set(key, { advert: a, health: a.health, seen: clock.now() });
              break;
            }
            case "beat": {
              const m = model.get(key);
              if (!m) break;
              const a = beat(m.advert, { inFlight: o.inFlight });
              router.upsert(a);
              model.set(key, { advert: a, health: a.health, seen: clock.now() });
              break;
            }
            case "remove":
              router.remove(key);
              model.delete(key);
              break;
            case "mark": {
              router.markUnavailable(key, "test");
              const m = model.get(key);
              if (m) m.health = "unavailable";
              break;
            }
            case "advance":
              clock.advance(o.ms);
              break;
            case "sweep":
              router.checkStale();
              for (const m of model.values()) {
                if (clock.now() - m.seen > timeout) m.health = "unavailable";
              }
              break;
            case "route": {
              const capable = [...model.entries()].filter(([, m]) =>
                hasCaps(m.advert.capabilities, o.required),
              );
              const expected = capable
                .filter(([, m]) => m.health !== "unavailable")
                .map(([k, m]) => ({
                  id: k,
                  confidence: confidence(
                    m.health,
                    clock.now() - m.seen,
                    timeout,
                    m.advert.inFlight,
                    m.advert.maxConcurrency,
                  ),
                }))
                .sort((x, y) => y.confidence - x.confidence || (x.id < y.id ? -1 : 1));
              expect(lb.capable(o.required)).toBe(capable.length);
              for (const [k, m] of capable) expect(lb.load(k)).toBe(m.advert.inFlight);
              if (capable.length === 0) {
                expect(() => router.findCapable(o.required)).toThrow(NoCapableCollectorError);
                expect(() => lb.routable(o.required)).toThrow(NoCapableCollectorError);
                break;
              }
              expect(lb.routable(o.required)).toEqual(expected.map((e) => e.id).sort());
              const got = router.findCapable(o.required).map((c: Candidate) => ({
                id: c.id,
                confidence: c.confidence,
              }));
              expect(got).toEqual(expected);
              if (expected.length > 0) {
                const d = router.routeTask(o.required);
                expect([d.collectorId, ...d.fallbacks.map((c) => c.id)]).toEqual(
                  expected.map((e) => e.id),
                );
              }
              break;
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("router - the scored lists reused for a moment", () => {
  it("router - scores are at most ROUTE_CACHE_MS old; a heartbeat re-ranks at once; a list handed out never changes", () => {
    const clock = new ManualClock();
    const router = new CapabilityRouter({ heartbeatTimeoutMs: 10_000 }, { clock });
    const a = advert("a", PROCESS, { inFlight: 0 });
    router.upsert(a);
    router.upsert(advert("b", PROCESS, { inFlight: 1 }));
    expect(router.routeTask(PROCESS).collectorId).toBe("a");
    const handedOut = router.findCapable(PROCESS);
    const before = handedOut.map((c) => [c.id, c.confidence]);
    // a's heartbeat reports load: b ranks first at once, and the list handed out stays as it was.
    router.upsert(beat(a, { inFlight: 7 }));
    expect(router.routeTask(PROCESS).collectorId).toBe("b");
    expect(router.routeTask(PROCESS).fallbacks.map((c) => c.id)).toEqual(["a"]);
    expect(handedOut.map((c) => [c.id, c.confidence])).toEqual(before);
    // Within the window b's confidence is as scored; past it, its age counts.
    const scored = router.findCapable(PROCESS).find((c) => c.id === "b")!.confidence;
    clock.advance(ROUTE_CACHE_MS - 1);
    expect(router.findCapable(PROCESS).find((c) => c.id === "b")!.confidence).toBe(scored);
    clock.advance(5000);
    expect(router.findCapable(PROCESS).find((c) => c.id === "b")!.confidence).toBeLessThan(scored);
  });
});

describe("router - a balancer fed by follow, while a join is pending", () => {
  it("router - a collector that stops serving a capability set while pools wait to be rebuilt is not listed for it", () => {
    const clock = new ManualClock();
    const router = new CapabilityRouter({}, { clock });
    const lb = new LoadBalancer({}, { clock });
    router.follow((u) => lb.apply(u));
    router.upsert(advert("c0", PROCESS));
    expect(lb.routable(PROCESS)).toEqual(["c0"]);
    // A join leaves every pool to be rebuilt at its next use; meanwhile c0 restarts without PROCESS.
    const c4 = advert("c4", NETWORK);
    router.upsert(c4);
    router.upsert(advert("c0", NETWORK));
    expect(lb.routable(NETWORK)).toEqual(["c0", "c4"]);
    // c4 now serves PROCESS too, but is unavailable: nobody can take a PROCESS task.
    router.upsert(beat(c4, { capabilities: PROCESS | NETWORK, health: "unavailable" }));
    expect(lb.routable(PROCESS)).toEqual([]);
    expect(lb.selectCollector(PROCESS)).toBeUndefined();
  });
});
