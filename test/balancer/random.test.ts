import { describe, expect, it } from "vitest";
import { seededRng } from "../../src/clock.js";
import { LoadBalancer, RandomStrategy } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { count, join } from "./support.js";

runStrategyCases({
  create: (deps) => new RandomStrategy(deps.rng),
  skip: {
    "tie-pair": "uniform by position: it has no ties to break, the rng decides",
    "tie-order": "uniform by position: the order of arrival and the rng decide",
  },
});

describe("balancer - random", () => {
  it("balancer - random is uniform over instances with capacity", () => {
    const lb = new LoadBalancer({ strategy: "random" }, { rng: seededRng(1) });
    for (const id of ["a", "b", "c"]) join(lb, id);
    join(lb, "full", { max: 2, inFlight: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const p = lb.selectCollector(0, `t${i}`)!;
      ids.push(p);
      lb.release(p, `t${i}`);
    }
    const got = count(ids);
    expect(got.full).toBeUndefined();
    for (const id of ["a", "b", "c"]) {
      expect(Math.abs(got[id]! - 10_000)).toBeLessThan(300); // ±3 %
    }
  });

  it("balancer - random stays uniform over the instances not excluded", () => {
    const lb = new LoadBalancer({ strategy: "random" }, { rng: seededRng(4) });
    for (const id of ["a", "b", "c", "d"]) join(lb, id);
    const avoid = new Set(["b"]);
    const ids: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const p = lb.selectCollector(0, `t${i}`, avoid)!;
      ids.push(p);
      lb.release(p, `t${i}`);
    }
    const got = count(ids);
    expect(got.b).toBeUndefined();
    for (const id of ["a", "c", "d"]) expect(Math.abs(got[id]! - 10_000)).toBeLessThan(300);
  });

  it("balancer - random repeats its picks from the same seed", () => {
    const run = (): string[] => {
      const lb = new LoadBalancer({ strategy: "random" }, { rng: seededRng(99) });
      for (const id of ["a", "b", "c"]) join(lb, id);
      return Array.from({ length: 20 }, (_, i) => lb.selectCollector(0, `t${i}`)!);
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new Set(first).size).toBe(3);
  });
});
