/** The failure detector with an injected clock: panic threshold, lag compensation, probes. */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import {
  FailureDetector,
  type FailureDetectorOptions,
} from "../../src/coordinator/failure-detector.js";

const T0 = 1_700_000_000_000;
const TTL = 30_000;

const OPTS: FailureDetectorOptions = {
  graceMs: TTL,
  probeCooldownMs: 1000,
  staleAfterMs: TTL,
  panicThreshold: 0.5,
  lagToleranceMs: 100,
  silentAfterMs: 1000,
  maxSilentAfterMs: 15_000,
  maxProbesPerSweep: 250,
};

function setup(over: Partial<FailureDetectorOptions> = {}) {
  const clock = new ManualClock(T0);
  const d = new FailureDetector({ ...OPTS, ...over });
  return { clock, d };
}

const ids = (n: number, p = "c") => Array.from({ length: n }, (_, i) => `${p}${i}`);
const idle = () => false;

describe("coordinator - failure detector", () => {
  it("coordinator - a no-responders status is confirmed by a probe: an answer proves it forged", () => {
    const { d } = setup();
    expect(d.noResponders("a", T0)).toBe("a");
    expect(d.noResponders("a", T0)).toBeUndefined(); // one probe at a time
    expect(d.probed("a", "answered", T0)).toBe("forged");
    expect(d.stats()).toMatchObject({ probes: 1, forgedNoResponders: 1, verdicts: 0 });
    expect(d.noResponders("a", T0 + 1)).toBe("a");
    expect(d.probed("a", "no-responders", T0 + 2)).toEqual({ id: "a", reason: "no responders" });
  });

  it("coordinator - an instance with work that goes silent is probed after 1 s, then after 2 s and 4 s; an answer starts it again", () => {
    const { clock, d } = setup();
    const work = new Set(["a", "b"]);
    const hasWork = (id: string) => work.has(id);
    d.working("a", clock.now());
    d.working("b", clock.now());
    const probes = (ms: number) =>
      d.sweep(clock.advance(ms), { overdue: [], routable: 2, hasWork }).probe;
    expect(probes(999)).toEqual([]);
    d.heard("b", clock.now()); // b answered something: alive for another second
    expect(probes(1)).toEqual(["a"]);
    expect(d.probed("a", "timeout", clock.now())).toBeUndefined(); // slow is not dead
    expect(probes(1000)).toEqual(["b"]);
    expect(d.probed("b", "answered", clock.now())).toBeUndefined();
    expect(probes(1000)).toEqual(["a"]); // a after 2 s
    expect(d.probed("a", "timeout", clock.now())).toBeUndefined();
    expect(probes(1000)).toEqual(["b"]); // silent a second since its probe's answer
    expect(d.probed("b", "timeout", clock.now())).toBeUndefined();
    expect(probes(2000)).toEqual(["b"]); // b after 2 s; a is due 4 s after its second probe
    d.probed("b", "timeout", clock.now());
    expect(probes(1000)).toEqual(["a"]);
    expect(d.probed("a", "no-responders", clock.now())).toEqual({
      id: "a",
      reason: "probe: no responders",
    });
    work.clear(); // their work is done: no more probes
    expect(probes(60_000)).toEqual([]);
  });

  it("coordinator - below the panic threshold an overdue instance is probed and fails when the probe goes unanswered", () => {
    const { clock, d } = setup();
    const fleet = ids(10);
    const d1 = d.sweep(clock.now(), {
      overdue: ["c3", "c7"],
      routable: fleet.length,
      hasWork: idle,
    });
    expect(d1).toEqual({ probe: ["c3", "c7"] });
    expect(d.panicking).toBe(false);
    expect(d.probed("c3", "timeout", clock.now())).toEqual({
      id: "c3",
      reason: "heartbeat stale; probe unanswered",
    });
    // c7 answered: its advert is late, not its life.
    expect(d.probed("c7", "answered", clock.now())).toBe("alive");
    expect(d.stats()).toMatchObject({ lateAlive: 1, verdicts: 1, panics: 0, held: 0 });
  });

  it("coordinator - past the panic threshold no overdue instance fails by age or by silence; a 503 still does, and the panic is said when it begins and ends", () => {
    const { clock, d } = setup();
    const fleet = ids(10);
    const overdue = fleet.slice(0, 6); // 60 % > 50 %
    const first = d.sweep(clock.now(), { overdue, routable: 10, hasWork: idle });
    expect(first.panic).toEqual({ change: "entered", overdue: 6, routable: 10 });
    expect(first.probe).toEqual(overdue);
    expect(d.panicking).toBe(true);
    for (const id of overdue.slice(1)) expect(d.probed(id, "timeout", clock.now())).toBeUndefined();
    // Proof is proof whatever the share.
    expect(d.probed("c0", "no-responders", clock.now())).toEqual({
      id: "c0",
      reason: "probe: no responders",
    });
    expect(d.stats()).toMatchObject({ panics: 1, held: 6, verdicts: 1 });
    // Still in panic: no new "entered", probes wait out the cooldown.
    const again = d.sweep(clock.advance(500), {
      overdue: overdue.slice(1),
      routable: 9,
      hasWork: idle,
    });
    expect(again).toEqual({ probe: [] });
    // Exactly at the threshold is not past it.
    const at = d.sweep(clock.advance(600), {
      overdue: fleet.slice(1, 5),
      routable: 8,
      hasWork: idle,
    });
    expect(at.panic).toEqual({ change: "left", overdue: 4, routable: 8 });
    expect(d.stats().held).toBe(0);
    expect(d.probed("c1", "timeout", clock.now())).toEqual({
      id: "c1",
      reason: "heartbeat stale; probe unanswered",
    });
  });

  it("coordinator - the threshold is a setting: at 0.8, 6 of 10 overdue are judged one by one", () => {
    const { clock, d } = setup({ panicThreshold: 0.8 });
    const r = d.sweep(clock.now(), { overdue: ids(6), routable: 10, hasWork: idle });
    expect(r.panic).toBeUndefined();
    expect(d.probed("c0", "timeout", clock.now())).toMatchObject({ id: "c0" });
  });

  it("coordinator - a stall of the observer's own loop past the tolerance lengthens the stale age by its length, for two stale ages", () => {
    const { clock, d } = setup();
    expect(d.staleAge(clock.now())).toBe(TTL);
    expect(d.stalled(clock.now(), 80)).toBe(false); // timer drift within the tolerance: noise
    expect(d.staleAge(clock.now())).toBe(TTL);
    expect(d.stalled(clock.advance(1000), 2500)).toBe(true);
    expect(d.stalled(clock.advance(1000), 700)).toBe(true);
    expect(d.staleAge(clock.now())).toBe(TTL + 3200);
    expect(d.stats()).toMatchObject({ stalls: 2, maxStallMs: 2500, blindMs: 3200 });
    clock.advance(2 * TTL - 999); // the first stall leaves the window
    expect(d.staleAge(clock.now())).toBe(TTL + 700);
    clock.advance(1000);
    expect(d.staleAge(clock.now())).toBe(TTL);
  });

  it("coordinator - while disconnected nothing is judged; after the reconnect overdue judgements wait a grace period and the outage counts as blind time", () => {
    const { clock, d } = setup({ graceMs: 5000 });
    d.working("a", clock.now());
    d.disconnect(clock.advance(10));
    const hasWork = () => true;
    expect(d.sweep(clock.advance(3000), { overdue: ["b"], routable: 4, hasWork })).toEqual({
      probe: [],
    });
    expect(d.reconnect(clock.advance(1000))).toBe(4000);
    expect(d.staleAge(clock.now())).toBe(TTL + 4000);
    // Within the grace: silent instances with work are probed, overdue ones wait; a 503 proves
    // nothing yet (the instance may not have reconnected).
    const inGrace = d.sweep(clock.advance(100), { overdue: ["b"], routable: 4, hasWork });
    expect(inGrace).toEqual({ probe: ["a"] });
    expect(d.stats().deferred).toBe(1);
    expect(d.probed("a", "no-responders", clock.now())).toBeUndefined();
    const after = d.sweep(clock.advance(5000), { overdue: ["b"], routable: 4, hasWork });
    expect(after.probe).toEqual(["a", "b"]);
    // Past the grace a 503 is proof again.
    expect(d.probed("a", "no-responders", clock.now())).toEqual({
      id: "a",
      reason: "probe: no responders",
    });
  });

  it("coordinator - probes out when NATS drops are forgotten; none go out while it is down", () => {
    const { d } = setup();
    const r = d.sweep(T0, { overdue: ["a"], routable: 4, hasWork: idle });
    expect(r.probe).toEqual(["a"]);
    d.disconnect(T0 + 10);
    expect(d.probed("a", "no-responders", T0 + 20)).toBeUndefined();
    expect(d.sweep(T0 + 2000, { overdue: ["a"], routable: 4, hasWork: idle }).probe).toEqual([]);
  });

  it("coordinator - probes per sweep are bounded; silent instances with work go first, the rest follow", () => {
    const { clock, d } = setup({ maxProbesPerSweep: 3 });
    const busy = ids(2, "w");
    for (const id of busy) d.working(id, clock.now());
    const hasWork = (id: string) => id.startsWith("w");
    clock.advance(1000);
    const overdue = ids(4);
    const first = d.sweep(clock.now(), { overdue, routable: 20, hasWork });
    expect(first.probe).toEqual(["w0", "w1", "c0"]);
    const second = d.sweep(clock.advance(50), { overdue, routable: 20, hasWork });
    expect(second.probe).toEqual(["c1", "c2", "c3"]);
    expect(d.stats().probes).toBe(6);
  });

  it("coordinator - a collector that deleted its advert has left: a verdict whatever the share", () => {
    const { d } = setup();
    d.sweep(T0, { overdue: ids(9), routable: 10, hasWork: idle });
    expect(d.panicking).toBe(true);
    expect(d.left("c9")).toEqual({ id: "c9", reason: "collector left" });
  });
});
