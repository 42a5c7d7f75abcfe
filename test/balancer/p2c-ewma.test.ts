import { describe, expect, it } from "vitest";
import { ManualClock, seededRng } from "../../src/clock.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { LoadBalancer, P2cEwmaStrategy, resolveStrategy } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { at, count, Driver, join, sc } from "./support.js";

runStrategyCases({
  create: (deps) => new P2cEwmaStrategy(deps.rng),
  skip: {
    "tie-order":
      "samples two members at random by position; ties between the two go by id (tie-pair)",
  },
});

/**
 * Discrete-event run on a ManualClock: a task arrives every `gapMs`; each instance completes a
 * task after its fixed latency, reported with recordSuccess and release.
 */
function simulate(latency: Record<string, number>, tasks: number, gapMs: number): string[] {
  const clock = new ManualClock(0);
  const lb = new LoadBalancer({ strategy: "p2c-ewma" }, { clock, rng: seededRng(5) });
  for (const id of Object.keys(latency)) join(lb, id, { max: 100 });
  const running: { id: string; taskId: string; end: number; took: number }[] = [];
  const got: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const arrival = i * gapMs;
    running.sort((a, b) => a.end - b.end);
    while (running.length > 0 && running[0]!.end <= arrival) {
      const done = running.shift()!;
      clock.set(done.end);
      lb.recordSuccess(done.id, done.took);
      lb.release(done.id, done.taskId);
    }
    clock.set(arrival);
    const pick = lb.selectCollector(0, `t${i}`)!;
    const took = latency[pick]!;
    running.push({ id: pick, taskId: `t${i}`, end: arrival + took, took });
    got.push(pick);
  }
  return got;
}

describe("balancer - p2c-ewma", () => {
  it("balancer - p2c-ewma sends at least 80 % to the fast instance when the other is 10× slower", () => {
    const got = count(simulate({ fast: 10, slow: 100 }, 5000, 1));
    expect(got.fast! / 5000).toBeGreaterThanOrEqual(0.8);
    // load still counts: when the fast one queues up, the idle slow one takes a task
    expect(got.slow).toBeGreaterThan(0);
  });

  it("balancer - p2c-ewma keeps a slow instance to a small share among fast ones", () => {
    const got = count(simulate({ f1: 10, f2: 10, f3: 10, f4: 10, slow: 100 }, 5000, 1));
    expect((got.slow ?? 0) / 5000).toBeLessThan(0.05);
    for (const id of ["f1", "f2", "f3", "f4"]) expect(got[id]! / 5000).toBeGreaterThan(0.2);
  });

  it("balancer - p2c-ewma weighs in-flight: an equally fast, idler instance wins", () => {
    for (const order of [
      ["a", "b"],
      ["b", "a"],
    ]) {
      const s = new P2cEwmaStrategy(seededRng(1));
      s.observe({ kind: "success", id: "a", at: 0, latencyMs: 20 });
      s.observe({ kind: "success", id: "b", at: 0, latencyMs: 20 });
      const c = { a: sc("a", { load: 4 }), b: sc("b", { load: 1 }) };
      const d = new Driver(s);
      expect(d.pick(order.map((id) => c[id as "a" | "b"]))).toBe(c.b);
    }
  });

  it("balancer - p2c-ewma tries a slow instance again once its estimate has decayed", () => {
    const s = new P2cEwmaStrategy(seededRng(1), { decayMs: 10_000 });
    const fast = sc("fast");
    const slow = sc("slow");
    const d = new Driver(s);
    d.offer([fast, slow]);
    s.observe({ kind: "success", id: "slow", at: 0, latencyMs: 100 });
    const pickAt = (now: number): string => {
      s.observe({ kind: "success", id: "fast", at: now, latencyMs: 10 });
      return d.select(at(now))!.id;
    };
    expect(pickAt(1_000)).toBe("fast");
    expect(pickAt(20_000)).toBe("fast"); // 100 × e^-2 ≈ 13.5 > 10
    expect(pickAt(30_000)).toBe("slow"); // 100 × e^-3 ≈ 5.0 < 10
    expect(s.cost(slow, 30_000)).toBeCloseTo(100 * Math.exp(-3), 6);
  });

  it("balancer - p2c-ewma reacts to a latency peak at once", () => {
    const s = new P2cEwmaStrategy(seededRng(1));
    const a = sc("a");
    s.observe({ kind: "success", id: "a", at: 0, latencyMs: 10 });
    s.observe({ kind: "success", id: "a", at: 1, latencyMs: 500 });
    expect(s.cost(a, 1)).toBe(500);
  });

  it("balancer - p2c-ewma takes its options from a spec and rejects bad ones", () => {
    expect(resolveStrategy({ type: "P2C", decayMs: 5000 }).name).toBe("p2c-ewma");
    expect(() => resolveStrategy({ type: "p2c-ewma", decayMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveStrategy({ type: "p2c-ewma", defaultLatencyMs: "fast" })).toThrow(
      InvalidArgumentError,
    );
  });
});
