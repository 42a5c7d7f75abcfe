import { describe, expect, it } from "vitest";
import { LoadBalancer, RoundRobinStrategy } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { cand, sc } from "./support.js";

runStrategyCases({ create: () => new RoundRobinStrategy() });

const task = { required: 0, taskId: undefined, now: 0 };

describe("balancer - round-robin", () => {
  it("balancer - round-robin over 3 instances repeats with period 3 over 6 picks", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" });
    const candidates = [cand("collector-1"), cand("collector-2"), cand("collector-3")];
    const picks = Array.from({ length: 6 }, () => lb.selectCollector(1, candidates)!.id);
    expect(picks.slice(0, 3)).toEqual(["collector-1", "collector-2", "collector-3"]);
    expect(picks.slice(3)).toEqual(picks.slice(0, 3));
  });

  it("balancer - round-robin keeps its place when an instance leaves or joins", () => {
    const s = new RoundRobinStrategy();
    const [a, b, c, d] = [sc("a"), sc("b"), sc("c"), sc("d")];
    expect(s.select([a, b, c], task)).toBe(a);
    expect(s.select([a, b, c], task)).toBe(b);
    // b leaves, d joins: the rotation continues after b, not from a shifted index
    expect(s.select([a, c, d], task)).toBe(c);
    expect(s.select([a, c, d], task)).toBe(d);
    expect(s.select([a, c, d], task)).toBe(a);
  });

  it("balancer - round-robin through the balancer follows id order as instances join and leave", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" });
    const pick = (ids: string[]): string => {
      const p = lb.selectCollector(
        0,
        ids.map((id) => cand(id)),
      )!;
      lb.release(p.id);
      return p.id;
    };
    expect([pick(["c", "a"]), pick(["c", "a"])]).toEqual(["a", "c"]);
    // b joins after the rotation passed it: the next round starts at a, then b
    expect([pick(["c", "b", "a"]), pick(["c", "b", "a"])]).toEqual(["a", "b"]);
    // b leaves right after being picked: the rotation goes on from b's place
    lb.forget("b");
    expect([pick(["d", "c", "a"]), pick(["d", "c", "a"]), pick(["d", "c", "a"])]).toEqual([
      "c",
      "d",
      "a",
    ]);
  });

  it("balancer - round-robin skips a full instance and comes back to it once freed", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" });
    const a = cand("a");
    const b = cand("b", { max: 1 });
    const c = cand("c");
    expect(lb.selectCollector(0, [a, b, c], "t1")!.id).toBe("a");
    expect(lb.selectCollector(0, [a, b, c], "t2")!.id).toBe("b");
    expect(lb.selectCollector(0, [a, b, c], "t3")!.id).toBe("c");
    expect(lb.selectCollector(0, [a, b, c], "t4")!.id).toBe("a");
    expect(lb.selectCollector(0, [a, b, c], "t5")!.id).toBe("c"); // b is full
    lb.release("b", "t2");
    expect(lb.selectCollector(0, [a, b, c], "t6")!.id).toBe("a");
    expect(lb.selectCollector(0, [a, b, c], "t7")!.id).toBe("b");
  });
});
