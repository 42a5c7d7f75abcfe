import { describe, expect, it } from "vitest";
import { LeastConnectionsStrategy, LoadBalancer } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { cand, count } from "./support.js";

runStrategyCases({ create: () => new LeastConnectionsStrategy() });

describe("balancer - least-connections", () => {
  it("balancer - least-connections over 3 instances for 9 picks gives exactly 3 each", () => {
    const lb = new LoadBalancer({ strategy: "least-connections" });
    const candidates = [cand("collector-1"), cand("collector-2"), cand("collector-3")];
    const picks = Array.from({ length: 9 }, (_, i) => lb.selectCollector(1, candidates, `t${i}`)!);
    expect(count(picks.map((p) => p.id))).toEqual({
      "collector-1": 3,
      "collector-2": 3,
      "collector-3": 3,
    });
    for (const c of candidates) expect(lb.load(c.id)).toBe(3);
  });

  it("balancer - least-connections sends work to the least loaded instance", () => {
    const lb = new LoadBalancer({ strategy: "least-connections" });
    const candidates = [
      cand("a", { inFlight: 5, seq: 1 }),
      cand("b", { inFlight: 1, seq: 1 }),
      cand("c", { inFlight: 3, seq: 1 }),
    ];
    const picks = Array.from({ length: 4 }, (_, i) => lb.selectCollector(0, candidates, `t${i}`)!);
    // b: 1 → 2 → 3, now tied with c (3): the tie rotates to c, then b (3) is least again
    expect(picks.map((p) => p.id)).toEqual(["b", "b", "c", "b"]);
  });

  it("balancer - least-connections rotates ties instead of favouring the first of the list", () => {
    const lb = new LoadBalancer({ strategy: "least-connections" });
    const candidates = [cand("c"), cand("a"), cand("b")];
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = lb.selectCollector(0, candidates, `t${i}`)!;
      picks.push(p.id);
      lb.release(p.id, `t${i}`); // loads stay equal: every pick is a tie
    }
    expect(picks).toEqual(["a", "b", "c", "a", "b", "c"]);
  });
});
