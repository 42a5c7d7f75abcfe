import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { HuntCore, type HuntPlan } from "../../src/hunts/core.js";
import { RateGate } from "../../src/hunts/rate.js";
import { progressOf, tally } from "../../src/hunts/counts.js";
import { parseHuntLimits } from "../../src/hunts/options.js";
import { InvalidArgumentError } from "../../src/errors.js";
import type { CollectorAdvert, HuntClaim, HuntRecord } from "../../subjects/index.js";

const T0 = 1_700_000_000_000;
const KEY = "alice.h1";

function hunt(over: Partial<HuntRecord> = {}): HuntRecord {
  return {
    huntId: "h1",
    createdBy: "alice",
    createdAt: T0,
    expiresAt: T0 + 60_000,
    requiredCapabilities: 0x01,
    priority: 1,
    timeoutMs: 1000,
    ratePerSec: 1000,
    maxErrorRate: 0.5,
    minParts: 4,
    state: "running",
    stateAt: T0,
    epoch: 0,
    ...over,
  };
}

function advert(id: string, over: Partial<CollectorAdvert> = {}): CollectorAdvert {
  return {
    id,
    type: "procmond",
    capabilities: 0x01,
    version: "1",
    health: "healthy",
    maxConcurrency: 4,
    inFlight: 0,
    weight: 1,
    labels: {},
    startedAt: T0,
    heartbeatSeq: 0,
    heartbeatAt: T0,
    ...over,
  };
}

function settled(id: string, state: HuntClaim["state"], over: Partial<HuntClaim> = {}): HuntClaim {
  return {
    huntId: "h1",
    collectorId: id,
    coordinatorId: "c1",
    incarnation: T0,
    epoch: 0,
    runs: 1,
    state,
    sentAt: T0,
    deadline: T0 + 6000,
    ...over,
  };
}

const ids = (p: HuntPlan) => p.start.map((s) => s.collectorId);

function setup(inFlight: (k: string, id: string) => boolean = () => false) {
  const clock = new ManualClock(T0);
  const core = new HuntCore({ inFlight });
  return { clock, core };
}

describe("hunts - core", () => {
  it("hunts - a part goes to each matching routable collector once, joins included", () => {
    const { clock, core } = setup();
    core.collector({ advert: advert("a", { labels: { zone: "eu" } }), routable: true });
    core.collector({ advert: advert("b", { labels: { zone: "us" } }), routable: true });
    core.collector({
      advert: advert("c", { capabilities: 0x02, labels: { zone: "eu" } }),
      routable: true,
    });
    core.putHunt(KEY, hunt({ where: "zone=eu" }), 1);
    expect(ids(core.plan(clock.now()))).toEqual(["a"]);
    expect(ids(core.plan(clock.advance(10)))).toEqual([]);
    core.collector({ advert: advert("d", { labels: { zone: "eu" } }), routable: true });
    core.collector({
      advert: advert("a", { labels: { zone: "eu" }, heartbeatSeq: 5 }),
      routable: true,
    });
    expect(ids(core.plan(clock.advance(10)))).toEqual(["d"]);
  });

  it("hunts - a collector that comes back gets no second part, unless its part was lost", () => {
    const { clock, core } = setup();
    core.putHunt(KEY, hunt(), 1);
    core.collector({ advert: advert("a"), routable: true });
    core.collector({ advert: advert("b"), routable: true });
    expect(ids(core.plan(clock.now()))).toEqual(["a", "b"]);
    core.putClaim(KEY, "a", settled("a", "ok"), 2);
    core.putClaim(KEY, "b", settled("b", "lost"), 3);
    core.collectorGone("a");
    core.collectorGone("b");
    core.collector({ advert: advert("a", { startedAt: T0 + 5 }), routable: true });
    core.collector({ advert: advert("b", { startedAt: T0 + 5 }), routable: true });
    const p = core.plan(clock.advance(10));
    expect(p.start).toMatchObject([{ collectorId: "b", runs: 2, revision: 3 }]);
  });

  it("hunts - a stale collector waits and gets its part when it recovers", () => {
    const { clock, core } = setup();
    core.putHunt(KEY, hunt(), 1);
    core.collector({ advert: advert("a"), routable: false });
    expect(ids(core.plan(clock.now()))).toEqual([]);
    core.collector({ advert: advert("a"), routable: true });
    expect(ids(core.plan(clock.advance(1)))).toEqual(["a"]);
  });

  it("hunts - the rate limit holds in every window", () => {
    const { clock, core } = setup();
    core.putHunt(KEY, hunt({ ratePerSec: 20 }), 1);
    for (let i = 0; i < 100; i++) core.collector({ advert: advert(`c${i}`), routable: true });
    const starts: number[] = [];
    for (let t = 0; t < 3000; t += 7) {
      for (const _ of core.plan(clock.now()).start) starts.push(clock.now());
      clock.advance(7);
    }
    expect(starts.length).toBeGreaterThanOrEqual(58);
    expect(starts.length).toBeLessThanOrEqual(62);
    for (const s of starts) {
      const inWindow = starts.filter((x) => x >= s && x < s + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(2 + 20);
    }
  });

  it("hunts - RateGate starts with a tenth of a second of tokens (at least one) and refills at its rate", () => {
    const g = new RateGate(2);
    expect(g.take(0)).toBe(true);
    expect(g.take(0)).toBe(false);
    expect(g.take(499)).toBe(false);
    expect(g.take(500)).toBe(true);
    expect(g.take(10_000)).toBe(true);
    expect(g.take(10_000)).toBe(false);
  });

  it("hunts - pauses past the error rate once minParts finished, with a reason; resume counts afresh", () => {
    const { clock, core } = setup();
    core.putHunt(KEY, hunt({ minParts: 4, maxErrorRate: 0.5 }), 1);
    for (const id of ["a", "b", "c", "d", "e"])
      core.collector({ advert: advert(id), routable: true });
    core.plan(clock.now());
    core.putClaim(KEY, "a", settled("a", "error"), 2);
    core.putClaim(KEY, "b", settled("b", "timed_out"), 3);
    core.putClaim(KEY, "c", settled("c", "error"), 4);
    expect(core.plan(clock.advance(1)).pause).toEqual([]); // 3 finished < minParts
    core.putClaim(KEY, "d", settled("d", "ok"), 5);
    const p = core.plan(clock.advance(1));
    expect(p.pause).toEqual([
      { key: KEY, reason: "error rate 75% (3 of 4 parts failed or timed out) passed 50%" },
    ]);
    expect(core.plan(clock.advance(1)).pause).toEqual([]); // decided once per revision
    core.putHunt(KEY, hunt({ state: "paused", reason: "x" }), 6);
    core.collector({ advert: advert("f"), routable: true });
    expect(ids(core.plan(clock.advance(1)))).toEqual([]);
    core.putHunt(KEY, hunt({ state: "running", epoch: 1 }), 7);
    const resumed = core.plan(clock.advance(1));
    expect(resumed.pause).toEqual([]);
    expect(ids(resumed)).toEqual(["f"]);
  });

  it("hunts - expires at expiresAt, running or paused; a stopped hunt cancels its parts once", () => {
    const { clock, core } = setup();
    core.putHunt(KEY, hunt({ expiresAt: T0 + 100 }), 1);
    core.putHunt(
      "bob.h2",
      hunt({ huntId: "h2", createdBy: "bob", state: "paused", expiresAt: T0 + 100 }),
      1,
    );
    core.putHunt("bob.h3", hunt({ huntId: "h3", createdBy: "bob", state: "stopped" }), 1);
    const first = core.plan(clock.now());
    expect(first.expire).toEqual([]);
    expect(first.cancel).toEqual(["bob.h3"]);
    core.collector({ advert: advert("a"), routable: true });
    const p = core.plan(clock.advance(100));
    expect(p.expire.sort()).toEqual([KEY, "bob.h2"]);
    expect(p.start).toEqual([]);
    expect(p.cancel).toEqual([]);
  });

  it("hunts - a claim left sent past its deadline is judged once, unless this runner holds it", () => {
    const held = new Set<string>(["b"]);
    const { clock, core } = setup((_k, id) => held.has(id));
    core.putHunt(KEY, hunt(), 1);
    core.putClaim(KEY, "a", settled("a", "sent", { coordinatorId: "dead" }), 2);
    core.putClaim(KEY, "b", settled("b", "sent"), 3);
    expect(core.plan(clock.advance(5000)).judge).toEqual([]);
    const p = core.plan(clock.advance(1001));
    expect(p.judge.map((j) => [j.collectorId, j.revision])).toEqual([["a", 2]]);
    expect(core.plan(clock.advance(1)).judge).toEqual([]);
  });

  it("hunts - reports how many collectors match when it changes", () => {
    const { clock, core } = setup();
    core.putHunt(KEY, hunt({ collectors: ["a", "b"] }), 1);
    core.collector({ advert: advert("a"), routable: true });
    core.collector({ advert: advert("z"), routable: true });
    expect(core.plan(clock.now()).matched).toEqual([{ key: KEY, matched: 1 }]);
    core.putHunt(KEY, hunt({ collectors: ["a", "b"], matched: 1 }), 2);
    expect(core.plan(clock.advance(1)).matched).toEqual([]);
  });

  it("hunts - progress: targeted, answered, errors, pending and an ETA at the pace so far", () => {
    const c = tally([{ state: "ok" }, { state: "ok" }, { state: "error" }, { state: "sent" }]);
    expect(progressOf(c, 10, T0, T0 + 3000)).toEqual({
      targeted: 10,
      answered: 2,
      errors: 1,
      pending: 7,
      etaSec: 7,
    });
    expect(progressOf(tally([]), undefined, undefined, T0).etaSec).toBeUndefined();
    expect(progressOf(tally([{ state: "ok" }]), 1, T0, T0 + 5).etaSec).toBe(0);
  });

  it("hunts - a hunt lives 24 h unless told, 7 days at most; longer or none is refused by name", () => {
    expect(parseHuntLimits().lifeMs).toBe(86_400_000);
    expect(parseHuntLimits({ lifeMs: 7 * 86_400_000 }).lifeMs).toBe(604_800_000);
    for (const lifeMs of [7 * 86_400_000 + 1, 0, -1]) {
      expect(() => parseHuntLimits({ lifeMs })).toThrow(InvalidArgumentError);
      expect(() => parseHuntLimits({ lifeMs })).toThrow(/lifeMs.*7 days/);
    }
  });

  it("hunts - with no room for claims a running hunt with parts waiting is blocked once, none starts", () => {
    const { clock, core } = setup();
    core.putHunt(KEY, hunt(), 1);
    core.putHunt("alice.idle", hunt({ huntId: "idle", collectors: ["nobody"] }), 1);
    core.collector({ advert: advert("a"), routable: true });
    const p = core.plan(clock.now(), { start: false });
    expect(ids(p)).toEqual([]);
    expect(p.blocked).toEqual([KEY]); // the idle hunt has nothing waiting
    expect(core.plan(clock.advance(10), { start: false }).blocked).toEqual([]);
    // Resumed (a new revision) with room again: the part starts.
    core.putHunt(KEY, hunt({ epoch: 1 }), 2);
    expect(ids(core.plan(clock.advance(10)))).toEqual(["a"]);
  });
});
