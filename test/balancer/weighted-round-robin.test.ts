import { describe, expect, it } from "vitest";
import { LoadBalancer, WeightedRoundRobinStrategy } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { count, Driver, join, leave, longestRuns, picks, sc } from "./support.js";

runStrategyCases({ create: () => new WeightedRoundRobinStrategy() });

function weighted(): LoadBalancer {
  const lb = new LoadBalancer({ strategy: "weighted-round-robin" });
  join(lb, "w1", { weight: 1 });
  join(lb, "w2", { weight: 2 });
  join(lb, "w5", { weight: 5 });
  return lb;
}

describe("balancer - weighted-round-robin", () => {
  it("balancer - weighted 1:2:5 over 8,000 picks lands within 1 % of 1000/2000/5000", () => {
    const got = count(picks(weighted(), 8000));
    expect(Math.abs(got.w1! - 1000)).toBeLessThanOrEqual(10);
    expect(Math.abs(got.w2! - 2000)).toBeLessThanOrEqual(20);
    expect(Math.abs(got.w5! - 5000)).toBeLessThanOrEqual(50);
  });

  it("balancer - weighted picks interleave: never more than its share in a row", () => {
    const seq = picks(weighted(), 8000);
    const runs = longestRuns(seq);
    expect(runs.w1).toBeLessThanOrEqual(1);
    expect(runs.w2).toBeLessThanOrEqual(2);
    // smooth: the heaviest never runs more than ceil(5 / (1 + 2)) = 2 in a row
    expect(runs.w5).toBeLessThanOrEqual(2);
    // every full cycle of 8 picks holds exactly 1, 2 and 5 of them
    for (let i = 0; i + 8 <= seq.length; i += 8) {
      expect(count(seq.slice(i, i + 8))).toEqual({ w1: 1, w2: 2, w5: 5 });
    }
  });

  it("balancer - weighted round-robin gives nginx's smooth sequence for 5:1:1", () => {
    const d = new Driver(new WeightedRoundRobinStrategy());
    d.offer([sc("a", { weight: 5 }), sc("b", { weight: 1 }), sc("c", { weight: 1 })]);
    const seq = Array.from({ length: 7 }, () => d.select()!.id);
    expect(seq.join(" ")).toBe("a a b a c a a");
  });

  it("balancer - weighted round-robin matches nginx's pass over the members, step by step", () => {
    // nginx's algorithm as written: a pass over every member per pick
    const weights: Record<string, number> = { a: 3, b: 7, c: 1, d: 7, e: 2, f: 3 };
    const current: Record<string, number> = {};
    const present = new Set(Object.keys(weights));
    const nginx = (exclude: ReadonlySet<string>): string => {
      let best: string | undefined;
      let total = 0;
      for (const id of [...present].sort()) {
        if (exclude.has(id)) continue;
        current[id] = (current[id] ?? 0) + weights[id]!;
        total += weights[id]!;
        if (best === undefined || current[id] > current[best]!) best = id;
      }
      current[best!]! -= total;
      return best!;
    };
    const d = new Driver(new WeightedRoundRobinStrategy());
    const cands = Object.fromEntries(
      Object.entries(weights).map(([id, w]) => [id, sc(id, { weight: w })]),
    );
    d.offer(Object.values(cands));
    for (let i = 0; i < 400; i++) {
      // members come and go (neither gaining nor losing while away), some picks exclude one
      if (i % 37 === 5) present.delete("b");
      if (i % 37 === 20) present.add("b");
      if (i % 53 === 7) present.delete("e");
      if (i % 53 === 30) present.add("e");
      d.offer([...present].map((id) => cands[id]!));
      const exclude = new Set(i % 11 === 3 ? ["d"] : []);
      expect(d.select(undefined, exclude)!.id).toBe(nginx(exclude));
    }
  });

  it("balancer - weighted round-robin keeps proportions as an instance leaves and returns", () => {
    const lb = weighted();
    expect(count(picks(lb, 80))).toEqual({ w1: 10, w2: 20, w5: 50 });
    leave(lb, "w2");
    const without = count(picks(lb, 60));
    expect(Math.abs(without.w1! - 10)).toBeLessThanOrEqual(1);
    expect(Math.abs(without.w5! - 50)).toBeLessThanOrEqual(1);
    join(lb, "w2", { weight: 2 });
    const back = count(picks(lb, 800));
    expect(Math.abs(back.w1! - 100)).toBeLessThanOrEqual(1);
    expect(Math.abs(back.w2! - 200)).toBeLessThanOrEqual(1);
    expect(Math.abs(back.w5! - 500)).toBeLessThanOrEqual(1);
  });

  it("balancer - weighted round-robin treats a missing weight as 1 and follows a new weight", () => {
    const lb = new LoadBalancer({ strategy: "weighted-round-robin" });
    join(lb, "a");
    join(lb, "b");
    join(lb, "c", { weight: 2 });
    expect(count(picks(lb, 400))).toEqual({ a: 100, b: 100, c: 200 });
    join(lb, "a", { weight: 3 });
    expect(count(picks(lb, 600))).toEqual({ a: 300, b: 100, c: 200 });
  });
});
