import { describe, expect, it } from "vitest";
import { LeastConnectionsStrategy, LoadBalancer } from "../../src/balancer/index.js";
import { runStrategyCases } from "./strategy.cases.js";
import { count, Driver, join, sc } from "./support.js";

runStrategyCases({ create: () => new LeastConnectionsStrategy() });

describe("balancer - least-connections", () => {
  it("balancer - least-connections over 3 instances for 9 picks gives exactly 3 each", () => {
    const lb = new LoadBalancer({ strategy: "least-connections" });
    for (const id of ["collector-1", "collector-2", "collector-3"]) join(lb, id);
    const got = Array.from({ length: 9 }, (_, i) => lb.selectCollector(0, `t${i}`)!);
    expect(count(got)).toEqual({ "collector-1": 3, "collector-2": 3, "collector-3": 3 });
    for (const id of ["collector-1", "collector-2", "collector-3"]) expect(lb.load(id)).toBe(3);
  });

  it("balancer - least-connections sends work to the least loaded instance", () => {
    const lb = new LoadBalancer({ strategy: "least-connections" });
    join(lb, "a", { inFlight: 5, seq: 1 });
    join(lb, "b", { inFlight: 1, seq: 1 });
    join(lb, "c", { inFlight: 3, seq: 1 });
    const got = Array.from({ length: 4 }, (_, i) => lb.selectCollector(0, `t${i}`)!);
    // b: 1 → 2 → 3, now tied with c (3): the tie rotates to c, then b (3) is least again
    expect(got).toEqual(["b", "b", "c", "b"]);
  });

  it("balancer - least-connections rotates ties instead of favouring the first to join", () => {
    const lb = new LoadBalancer({ strategy: "least-connections" });
    for (const id of ["c", "a", "b"]) join(lb, id);
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = lb.selectCollector(0, `t${i}`)!;
      got.push(p);
      lb.release(p, `t${i}`); // loads stay equal: every pick is a tie
    }
    expect(got).toEqual(["a", "b", "c", "a", "b", "c"]);
  });

  it("balancer - least-connections follows load changes and skips excluded instances", () => {
    const d = new Driver(new LeastConnectionsStrategy());
    const [a, b, c] = [sc("a", { load: 2 }), sc("b", { load: 4 }), sc("c", { load: 3 })];
    d.offer([a, b, c]);
    expect(d.select()).toBe(a);
    d.setLoad(a, 5);
    expect(d.select()).toBe(c);
    expect(d.select(undefined, new Set(["c"]))).toBe(b);
    d.setLoad(b, 0);
    expect(d.select()).toBe(b);
  });
});
