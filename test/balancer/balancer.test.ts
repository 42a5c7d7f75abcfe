import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { LoadBalancer, type LoadBalancingStrategy } from "../../src/balancer/index.js";
import { cand } from "./support.js";

describe("balancer - capacity", () => {
  it("balancer - never assigns beyond maxConcurrency and returns null when all are full", () => {
    const lb = new LoadBalancer();
    const candidates = [cand("a", { max: 2 }), cand("b", { max: 1 })];
    const got = Array.from({ length: 3 }, (_, i) => lb.selectCollector(0, candidates, `t${i}`));
    expect(got.map((c) => c?.id).sort()).toEqual(["a", "a", "b"]);
    expect(lb.selectCollector(0, candidates, "t3")).toBeNull();
    expect(lb.load("a")).toBe(2);
    expect(lb.load("b")).toBe(1);
    expect(lb.stats().saturated).toBe(1);
    lb.release("b", lb.tasksOf("b")[0]);
    expect(lb.selectCollector(0, candidates, "t4")?.id).toBe("b");
  });

  it("balancer - uses defaultCapacity when an advert gives no maxConcurrency", () => {
    const lb = new LoadBalancer({ defaultCapacity: 2 });
    const candidates = [cand("a", { max: 0 })];
    expect(lb.selectCollector(0, candidates, "t1")).not.toBeNull();
    expect(lb.selectCollector(0, candidates, "t2")).not.toBeNull();
    expect(lb.selectCollector(0, candidates, "t3")).toBeNull();
    expect(lb.stats().instances.a!.capacity).toBe(2);
  });

  it("balancer - an instance's advertised in-flight takes its capacity (no heartbeat seq: max)", () => {
    const lb = new LoadBalancer();
    const a = cand("a", { max: 5, inFlight: 3 });
    lb.selectCollector(0, [a], "t1");
    expect(lb.load("a")).toBe(3); // max(own 1, advertised 3)
    for (let i = 2; i <= 4; i++) lb.selectCollector(0, [a], `t${i}`);
    expect(lb.load("a")).toBe(4);
  });

  it("balancer - two coordinators sharing an instance do not overfill it", () => {
    const clock = new ManualClock();
    const lbA = new LoadBalancer({}, { clock });
    const lbB = new LoadBalancer({}, { clock });
    let seq = 0;
    const advert = (inFlight: number) => [cand("x", { max: 4, inFlight, seq: ++seq })];
    // both place two tasks, then the instance's heartbeat reports all four
    lbA.selectCollector(0, advert(0), "a1");
    lbA.selectCollector(0, advert(0), "a2");
    lbB.selectCollector(0, advert(0), "b1");
    lbB.selectCollector(0, advert(0), "b2");
    const beat = advert(4);
    expect(lbA.selectCollector(0, beat, "a3")).toBeNull();
    expect(lbB.selectCollector(0, beat, "b3")).toBeNull();
    expect(lbA.load("x")).toBe(4);
    // A's own releases free its slots at once, B's tasks still count until a heartbeat says otherwise
    lbA.release("x", "a1");
    expect(lbA.load("x")).toBe(3);
    expect(lbA.selectCollector(0, beat, "a3")?.id).toBe("x");
    expect(lbA.selectCollector(0, beat, "a4")).toBeNull();
  });

  it("balancer - own releases free capacity before the next heartbeat", () => {
    const lb = new LoadBalancer();
    const full = [cand("x", { max: 2, inFlight: 2, seq: 7 })];
    lb.selectCollector(0, [cand("x", { max: 2, seq: 6 })], "t1");
    lb.selectCollector(0, [cand("x", { max: 2, seq: 6 })], "t2");
    expect(lb.selectCollector(0, full, "t3")).toBeNull(); // heartbeat 7 reports our two tasks
    lb.release("x", "t1");
    lb.release("x", "t2");
    expect(lb.load("x")).toBe(0);
    expect(lb.selectCollector(0, full, "t3")?.id).toBe("x");
  });

  it("balancer - releasing a task twice frees its slot once", () => {
    const lb = new LoadBalancer();
    const a = [cand("a", { max: 3 })];
    lb.selectCollector(0, a, "t1");
    lb.selectCollector(0, a, "t2");
    lb.release("a", "t1");
    lb.release("a", "t1");
    lb.release("a", "unknown");
    lb.release("nobody", "t2");
    expect(lb.load("a")).toBe(1);
    expect(lb.tasksOf("a")).toEqual(["t2"]);
  });

  it("balancer - counts tasks without an id and releases them without one", () => {
    const lb = new LoadBalancer();
    const a = [cand("a", { max: 2 })];
    lb.selectCollector(0, a);
    lb.selectCollector(0, a);
    expect(lb.selectCollector(0, a)).toBeNull();
    lb.release("a");
    expect(lb.load("a")).toBe(1);
    expect(lb.tasksOf("a")).toEqual([]);
  });
});

describe("balancer - selection", () => {
  it("balancer - hands back the caller's own candidate object", () => {
    const lb = new LoadBalancer();
    const mine = { ...cand("a"), confidence: 0.9, health: "healthy" as const };
    const pick = lb.selectCollector(0, [mine]);
    expect(pick).toBe(mine);
    expect(pick?.health).toBe("healthy");
  });

  it("balancer - returns null for an empty candidate list", () => {
    expect(new LoadBalancer().selectCollector(0, [])).toBeNull();
  });

  it("balancer - a strategy picking something it was not offered is an error", () => {
    const rogue: LoadBalancingStrategy = {
      name: "rogue",
      select: () => ({ id: "b", load: 0, capacity: 1, weight: 1, latencyMs: undefined }),
    };
    const lb = new LoadBalancer({ strategy: rogue });
    expect(() => lb.selectCollector(0, [cand("a"), cand("b")])).toThrow(InvalidArgumentError);
  });

  it("balancer - remembers task ids per instance in assignment order", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" });
    const c = [cand("a"), cand("b")];
    for (let i = 0; i < 5; i++) lb.selectCollector(0, c, `t${i}`);
    expect(lb.tasksOf("a")).toEqual(["t0", "t2", "t4"]);
    expect(lb.tasksOf("b")).toEqual(["t1", "t3"]);
    expect(lb.tasksOf("nobody")).toEqual([]);
  });

  it("balancer - forget drops an instance that left", () => {
    const lb = new LoadBalancer();
    lb.selectCollector(0, [cand("a")], "t1");
    lb.recordFailure("a", "boom");
    lb.forget("a");
    expect(lb.tasksOf("a")).toEqual([]);
    expect(lb.load("a")).toBe(0);
    expect(lb.stats().instances.a).toBeUndefined();
  });
});

describe("balancer - stats", () => {
  it("balancer - stats report distribution, load and per-instance state", () => {
    const clock = new ManualClock(1_000);
    const lb = new LoadBalancer({ strategy: "round-robin" }, { clock });
    const c = [cand("a", { max: 4 }), cand("b", { max: 2 })];
    for (let i = 0; i < 5; i++) lb.selectCollector(0, c, `t${i}`);
    lb.recordSuccess("a", 40);
    lb.recordFailure("b", "timeout");
    const s = lb.stats();
    expect(s).toMatchObject({
      strategy: "round-robin",
      tasksDistributed: 5,
      failovers: 0,
      tasksRedistributed: 0,
      averageLoad: 2.5,
      maxLoad: 3,
      ejections: 0,
    });
    expect(s.instances.a).toEqual({
      load: 3,
      capacity: 4,
      assigned: 3,
      failures: 0,
      consecutiveFailures: 0,
      ejections: 0,
      state: "closed",
      latencyMs: 40,
    });
    expect(s.instances.b).toMatchObject({ load: 2, failures: 1, consecutiveFailures: 1 });
    expect(s.instances.b!.latencyMs).toBeUndefined();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it("balancer - the latency estimate follows peaks at once and comes down with time", () => {
    const clock = new ManualClock(0);
    const lb = new LoadBalancer({ ewmaDecayMs: 1000 }, { clock });
    lb.recordSuccess("a", 10);
    lb.recordSuccess("a", 200);
    expect(lb.stats().instances.a!.latencyMs).toBe(200);
    clock.advance(1000);
    lb.recordSuccess("a", 10);
    const expected = 200 * Math.exp(-1) + 10 * (1 - Math.exp(-1));
    expect(lb.stats().instances.a!.latencyMs).toBeCloseTo(expected, 9);
  });
});
