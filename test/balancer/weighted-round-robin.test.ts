import { describe, expect, it } from "vitest";
import { LoadBalancer, WeightedRoundRobinStrategy } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { cand, count, longestRuns, sc } from "./support.js";

runStrategyCases({ create: () => new WeightedRoundRobinStrategy() });

/** Picks through the balancer, releasing each task so capacity never interferes. */
function picks(lb: LoadBalancer, candidates: ReturnType<typeof cand>[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = lb.selectCollector(0, candidates, `t${i}`)!;
    out.push(p.id);
    lb.release(p.id, `t${i}`);
  }
  return out;
}

describe("balancer - weighted-round-robin", () => {
  const candidates = [
    cand("w1", { weight: 1 }),
    cand("w2", { weight: 2 }),
    cand("w5", { weight: 5 }),
  ];

  it("balancer - weighted 1:2:5 over 8,000 picks lands within 1 % of 1000/2000/5000", () => {
    const got = count(
      picks(new LoadBalancer({ strategy: "weighted-round-robin" }), candidates, 8000),
    );
    expect(Math.abs(got.w1! - 1000)).toBeLessThanOrEqual(10);
    expect(Math.abs(got.w2! - 2000)).toBeLessThanOrEqual(20);
    expect(Math.abs(got.w5! - 5000)).toBeLessThanOrEqual(50);
  });

  it("balancer - weighted picks interleave: never more than its share in a row", () => {
    const seq = picks(new LoadBalancer({ strategy: "weighted-round-robin" }), candidates, 8000);
    const runs = longestRuns(seq);
    expect(runs.w1).toBeLessThanOrEqual(1);
    expect(runs.w2).toBeLessThanOrEqual(2);
    expect(runs.w5).toBeLessThanOrEqual(5);
    // smooth: the heaviest never runs more than ceil(5 / (1 + 2)) = 2 in a row
    expect(runs.w5).toBeLessThanOrEqual(2);
    // every full cycle of 8 picks holds exactly 1, 2 and 5 of them
    for (let i = 0; i + 8 <= seq.length; i += 8) {
      expect(count(seq.slice(i, i + 8))).toEqual({ w1: 1, w2: 2, w5: 5 });
    }
  });

  it("balancer - weighted round-robin gives nginx's smooth sequence for 5:1:1", () => {
    const s = new WeightedRoundRobinStrategy();
    const list = [sc("a", { weight: 5 }), sc("b", { weight: 1 }), sc("c", { weight: 1 })];
    const task = { required: 0, taskId: undefined, now: 0 };
    const seq = Array.from({ length: 7 }, () => s.select(list, task)!.id);
    expect(seq.join(" ")).toBe("a a b a c a a");
  });

  it("balancer - weighted round-robin keeps proportions as an instance leaves and returns", () => {
    const lb = new LoadBalancer({ strategy: "weighted-round-robin" });
    expect(count(picks(lb, candidates, 80))).toEqual({ w1: 10, w2: 20, w5: 50 });
    lb.forget("w2");
    const without = count(picks(lb, [candidates[0]!, candidates[2]!], 60));
    expect(Math.abs(without.w1! - 10)).toBeLessThanOrEqual(1);
    expect(Math.abs(without.w5! - 50)).toBeLessThanOrEqual(1);
    const back = count(picks(lb, candidates, 800));
    expect(Math.abs(back.w1! - 100)).toBeLessThanOrEqual(1);
    expect(Math.abs(back.w2! - 200)).toBeLessThanOrEqual(1);
    expect(Math.abs(back.w5! - 500)).toBeLessThanOrEqual(1);
  });

  it("balancer - weighted round-robin treats a missing weight as 1", () => {
    const lb = new LoadBalancer({ strategy: "weighted-round-robin" });
    const got = count(picks(lb, [cand("a"), cand("b"), cand("c", { weight: 2 })], 400));
    expect(got).toEqual({ a: 100, b: 100, c: 200 });
  });
});
