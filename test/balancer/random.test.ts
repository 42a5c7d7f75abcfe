import { describe, expect, it } from "vitest";
import { seededRng } from "../../src/clock.js";
import { LoadBalancer, RandomStrategy } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { cand, count } from "./support.js";

runStrategyCases({
  create: (deps) => new RandomStrategy(deps.rng),
  skip: {
    "tie-pair": "uniform by position: it has no ties to break, the rng decides",
    "tie-order": "uniform by position: the router's (deterministic) order and the rng decide",
  },
});

describe("balancer - random", () => {
  it("balancer - random is uniform over instances with capacity", () => {
    const lb = new LoadBalancer({ strategy: "random" }, { rng: seededRng(1) });
    const candidates = [cand("a"), cand("b"), cand("c"), cand("full", { max: 2, inFlight: 2 })];
    const ids: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const p = lb.selectCollector(0, candidates, `t${i}`)!;
      ids.push(p.id);
      lb.release(p.id, `t${i}`);
    }
    const got = count(ids);
    expect(got.full).toBeUndefined();
    for (const id of ["a", "b", "c"]) {
      expect(Math.abs(got[id]! - 10_000)).toBeLessThan(300); // ±3 %
    }
  });

  it("balancer - random repeats its picks from the same seed", () => {
    const run = (): string[] => {
      const lb = new LoadBalancer({ strategy: "random" }, { rng: seededRng(99) });
      const candidates = [cand("a"), cand("b"), cand("c")];
      return Array.from({ length: 20 }, (_, i) => lb.selectCollector(0, candidates, `t${i}`)!.id);
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new Set(first).size).toBe(3);
  });
});
