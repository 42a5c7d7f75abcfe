import { describe, expect, it } from "vitest";
import { LoadBalancer, RoundRobinStrategy } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { Driver, join, leave, picks, sc } from "./support.js";

runStrategyCases({ create: () => new RoundRobinStrategy() });

describe("balancer - round-robin", () => {
  it("balancer - round-robin over 3 instances repeats with period 3 over 6 picks", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" });
    for (const id of ["collector-3", "collector-1", "collector-2"]) join(lb, id);
    const got = Array.from({ length: 6 }, () => lb.selectCollector(0));
    expect(got.slice(0, 3)).toEqual(["collector-1", "collector-2", "collector-3"]);
    expect(got.slice(3)).toEqual(got.slice(0, 3));
  });

  it("balancer - round-robin keeps its place when an instance leaves or joins", () => {
    const d = new Driver(new RoundRobinStrategy());
    const [a, b, c, e] = [sc("a"), sc("b"), sc("c"), sc("e")];
    expect(d.pick([a, b, c])).toBe(a);
    expect(d.pick([a, b, c])).toBe(b);
    // b leaves, e joins: the rotation continues after b, not from a shifted index
    expect(d.pick([a, c, e])).toBe(c);
    expect(d.pick([a, c, e])).toBe(e);
    expect(d.pick([a, c, e])).toBe(a);
  });

  it("balancer - round-robin through the balancer follows id order as instances join and leave", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" });
    join(lb, "c");
    join(lb, "a");
    expect(picks(lb, 2)).toEqual(["a", "c"]);
    // b joins after the rotation passed it: the next round starts at a, then b
    join(lb, "b");
    expect(picks(lb, 2)).toEqual(["a", "b"]);
    // b leaves right after being picked, d joins: the rotation goes on from b's place
    leave(lb, "b");
    join(lb, "d");
    expect(picks(lb, 3)).toEqual(["c", "d", "a"]);
  });

  it("balancer - round-robin skips a full instance and comes back to it once freed", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" });
    join(lb, "a");
    join(lb, "b", { max: 1 });
    join(lb, "c");
    const got = [1, 2, 3, 4, 5].map((i) => lb.selectCollector(0, `t${i}`));
    expect(got).toEqual(["a", "b", "c", "a", "c"]); // b is full at t5
    lb.release("b", "t2");
    expect(lb.selectCollector(0, "t6")).toBe("a");
    expect(lb.selectCollector(0, "t7")).toBe("b");
  });

  it("balancer - round-robin rotates per capability set", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" });
    join(lb, "a", { caps: 1 });
    join(lb, "b", { caps: 3 });
    join(lb, "c", { caps: 1 });
    expect([1, 1, 1].map((r) => lb.selectCollector(r))).toEqual(["a", "b", "c"]);
    expect([3, 3].map((r) => lb.selectCollector(r))).toEqual(["b", "b"]);
    expect(lb.selectCollector(1)).toBe("a");
  });
});
