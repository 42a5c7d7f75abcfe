import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { InvalidArgumentError, NoCapableCollectorError } from "../../src/errors.js";
import {
  LoadBalancer,
  RoundRobinStrategy,
  type LoadBalancingStrategy,
} from "../../src/balancer/index.js";
import { MAX_STATS_INSTANCES, SourceCaps, StatsReply } from "../../subjects/index.js";
import { encode } from "../../src/codec.js";
import { beat, join, leave } from "./support.js";

const { PROCESS, NETWORK, REALTIME } = SourceCaps;

describe("balancer - capacity", () => {
  it("balancer - never assigns beyond maxConcurrency and returns undefined when all are full", () => {
    const lb = new LoadBalancer();
    join(lb, "a", { max: 2 });
    join(lb, "b", { max: 1 });
    const got = Array.from({ length: 3 }, (_, i) => lb.selectCollector(0, `t${i}`));
    expect(got.sort()).toEqual(["a", "a", "b"]);
    expect(lb.selectCollector(0, "t3")).toBeUndefined();
    expect(lb.load("a")).toBe(2);
    expect(lb.load("b")).toBe(1);
    expect(lb.stats().saturated).toBe(1);
    lb.release("b", lb.tasksOf("b")[0]);
    expect(lb.selectCollector(0, "t4")).toBe("b");
  });

  it("balancer - uses defaultCapacity when an advert gives no maxConcurrency", () => {
    const lb = new LoadBalancer({ defaultCapacity: 2 });
    join(lb, "a", { max: 0 });
    expect(lb.selectCollector(0, "t1")).toBe("a");
    expect(lb.selectCollector(0, "t2")).toBe("a");
    expect(lb.selectCollector(0, "t3")).toBeUndefined();
    expect(lb.stats().instances.a!.capacity).toBe(2);
  });

  it("balancer - an instance's advertised in-flight takes its capacity (no heartbeat seq: max)", () => {
    const lb = new LoadBalancer();
    join(lb, "a", { max: 5, inFlight: 3 });
    lb.selectCollector(0, "t1");
    expect(lb.load("a")).toBe(3); // max(own 1, advertised 3)
    for (let i = 2; i <= 4; i++) lb.selectCollector(0, `t${i}`);
    expect(lb.load("a")).toBe(4);
  });

  it("balancer - two coordinators sharing an instance do not overfill it", () => {
    const clock = new ManualClock();
    const lbA = new LoadBalancer({}, { clock });
    const lbB = new LoadBalancer({}, { clock });
    for (const lb of [lbA, lbB]) join(lb, "x", { max: 4, seq: 1 });
    lbA.selectCollector(0, "a1");
    lbA.selectCollector(0, "a2");
    lbB.selectCollector(0, "b1");
    lbB.selectCollector(0, "b2");
    // the instance's heartbeat reports all four
    for (const lb of [lbA, lbB]) beat(lb, "x", { max: 4, inFlight: 4, seq: 2 });
    expect(lbA.selectCollector(0, "a3")).toBeUndefined();
    expect(lbB.selectCollector(0, "b3")).toBeUndefined();
    expect(lbA.load("x")).toBe(4);
    // A's own releases free its slots at once, B's tasks still count until a heartbeat says otherwise
    lbA.release("x", "a1");
    expect(lbA.load("x")).toBe(3);
    expect(lbA.selectCollector(0, "a3")).toBe("x");
    expect(lbA.selectCollector(0, "a4")).toBeUndefined();
    // the next heartbeat: B finished its two
    beat(lbA, "x", { max: 4, inFlight: 2, seq: 3 });
    expect(lbA.load("x")).toBe(2);
    expect(lbA.selectCollector(0, "a4")).toBe("x");
  });

  it("balancer - own releases free capacity before the next heartbeat", () => {
    const lb = new LoadBalancer();
    join(lb, "x", { max: 2, seq: 6 });
    lb.selectCollector(0, "t1");
    lb.selectCollector(0, "t2");
    beat(lb, "x", { max: 2, inFlight: 2, seq: 7 }); // reports our two tasks
    expect(lb.selectCollector(0, "t3")).toBeUndefined();
    lb.release("x", "t1");
    lb.release("x", "t2");
    expect(lb.load("x")).toBe(0);
    expect(lb.selectCollector(0, "t3")).toBe("x");
  });

  it("balancer - releasing a task twice frees its slot once", () => {
    const lb = new LoadBalancer();
    join(lb, "a", { max: 3 });
    lb.selectCollector(0, "t1");
    lb.selectCollector(0, "t2");
    lb.release("a", "t1");
    lb.release("a", "t1");
    lb.release("a", "unknown");
    lb.release("nobody", "t2");
    expect(lb.load("a")).toBe(1);
    expect(lb.tasksOf("a")).toEqual(["t2"]);
  });

  it("balancer - counts tasks without an id and releases them without one", () => {
    const lb = new LoadBalancer();
    join(lb, "a", { max: 2 });
    lb.selectCollector(0);
    lb.selectCollector(0);
    expect(lb.selectCollector(0)).toBeUndefined();
    lb.release("a");
    expect(lb.load("a")).toBe(1);
    expect(lb.tasksOf("a")).toEqual([]);
  });

  it("balancer - a capacity change in an update takes effect at once", () => {
    const lb = new LoadBalancer();
    join(lb, "a", { max: 1 });
    expect(lb.selectCollector(0, "t1")).toBe("a");
    expect(lb.selectCollector(0, "t2")).toBeUndefined();
    lb.apply({
      kind: "updated",
      id: "a",
      health: "healthy",
      advert: { capabilities: 0, maxConcurrency: 3, inFlight: 0 },
    });
    expect(lb.selectCollector(0, "t2")).toBe("a");
    expect(lb.stats().instances.a!.capacity).toBe(3);
  });
});

describe("balancer - fed by membership changes", () => {
  it("balancer - places a task only on instances advertising every required bit", () => {
    const lb = new LoadBalancer();
    join(lb, "plain", { caps: PROCESS });
    join(lb, "rt", { caps: PROCESS | REALTIME });
    join(lb, "net", { caps: NETWORK });
    expect(lb.selectCollector(PROCESS | REALTIME, "t1")).toBe("rt");
    expect(lb.selectCollector(NETWORK, "t2")).toBe("net");
    expect(new Set([0, 1, 2].map((i) => lb.selectCollector(PROCESS, `p${i}`)))).toEqual(
      new Set(["plain", "rt"]),
    );
    expect(lb.capable(PROCESS)).toBe(2);
    expect(lb.capable(PROCESS | NETWORK)).toBe(0);
    expect(lb.selectCollector(PROCESS | NETWORK, "t3")).toBeUndefined();
  });

  it("balancer - a stale instance takes nothing until it recovers; a capability change moves it", () => {
    const lb = new LoadBalancer();
    join(lb, "a", { caps: PROCESS });
    join(lb, "b", { caps: PROCESS });
    lb.apply({ kind: "stale", id: "a", health: "unavailable" });
    expect(lb.isRoutable("a")).toBe(false);
    expect(lb.routable(PROCESS)).toEqual(["b"]);
    expect(lb.capable(PROCESS)).toBe(2); // still registered: not a NoCapableCollector case
    expect(new Set([0, 1, 2].map((i) => lb.selectCollector(PROCESS, `t${i}`)))).toEqual(
      new Set(["b"]),
    );
    lb.apply({
      kind: "recovered",
      id: "a",
      health: "healthy",
      advert: { capabilities: PROCESS, maxConcurrency: 10, inFlight: 0 },
    });
    expect(lb.routable(PROCESS)).toEqual(["a", "b"]);
    expect(lb.selectCollector(PROCESS, "t3")).toBe("a");
    join(lb, "a", { caps: NETWORK });
    expect(lb.routable(PROCESS)).toEqual(["b"]);
    expect(lb.routable(NETWORK)).toEqual(["a"]);
  });

  it("balancer - routable throws NoCapableCollectorError when nobody advertises the set", () => {
    const lb = new LoadBalancer();
    expect(() => lb.routable(PROCESS)).toThrow(NoCapableCollectorError);
    join(lb, "a", { caps: PROCESS }, "unavailable");
    expect(lb.routable(PROCESS)).toEqual([]);
    leave(lb, "a");
    expect(() => lb.routable(PROCESS)).toThrow(NoCapableCollectorError);
    expect(() => lb.routable(0x80)).toThrow(InvalidArgumentError);
  });

  it("balancer - an instance that left keeps its tasks readable until forget", () => {
    const lb = new LoadBalancer();
    join(lb, "a");
    join(lb, "idle");
    lb.selectCollector(0, "t1");
    leave(lb, "a");
    leave(lb, "idle");
    expect(lb.selectCollector(0, "t2")).toBeUndefined();
    expect(lb.tasksOf("a")).toEqual(["t1"]);
    expect(Object.keys(lb.stats().instances)).toEqual(["a"]); // idle had nothing: dropped at once
    lb.forget("a");
    expect(lb.tasksOf("a")).toEqual([]);
    expect(lb.stats().instances.a).toBeUndefined();
  });

  it("balancer - a heartbeat of an instance it never saw registers it", () => {
    const lb = new LoadBalancer();
    beat(lb, "late", { seq: 9, inFlight: 2, max: 3 });
    expect(lb.load("late")).toBe(2);
    expect(lb.selectCollector(0, "t1")).toBe("late");
    expect(lb.selectCollector(0, "t2")).toBeUndefined();
    // a change without an advert about an instance it never saw tells it nothing
    lb.apply({ kind: "recovered", id: "mystery", health: "healthy" });
    expect(lb.isRoutable("mystery")).toBe(false);
  });
});

describe("balancer - placement", () => {
  it("balancer - instances that failed a task are passed over while another routable one remains", () => {
    const lb = new LoadBalancer();
    join(lb, "a");
    join(lb, "b", { max: 1 });
    const avoid = new Set(["a"]);
    expect(lb.selectCollector(0, "t1", avoid)).toBe("b");
    // b is full: the task waits for b rather than going back to a
    expect(lb.selectCollector(0, "t2", avoid)).toBeUndefined();
    lb.apply({ kind: "stale", id: "b", health: "unavailable" });
    // no other routable instance remains: a will do
    expect(lb.selectCollector(0, "t2", avoid)).toBe("a");
    expect(lb.selectCollector(0, "t3", new Set(["a", "b"]))).toBe("a");
  });

  it("balancer - assign puts a task on a named instance only when it has room", () => {
    const lb = new LoadBalancer();
    join(lb, "a", { max: 1 });
    expect(lb.assign("a", "t1")).toBe(true);
    expect(lb.assign("a", "t2")).toBe(false);
    expect(lb.assign("nobody", "t2")).toBe(false);
    expect(lb.tasksOf("a")).toEqual(["t1"]);
    expect(lb.selectCollector(0, "t3")).toBeUndefined(); // assign filled it
    lb.release("a", "t1");
    lb.apply({ kind: "stale", id: "a", health: "unavailable" });
    expect(lb.assign("a", "t2")).toBe(false);
    expect(lb.stats().tasksDistributed).toBe(1);
  });

  it("balancer - a strategy picking something outside its pool is an error", () => {
    const rogue: LoadBalancingStrategy = {
      name: "rogue",
      createPool: () => ({
        size: 1,
        add: () => undefined,
        delete: () => undefined,
        reset: () => undefined,
        select: () => ({ id: "b", rank: 1, load: 0, capacity: 1, weight: 1, latencyMs: undefined }),
      }),
    };
    const lb = new LoadBalancer({ strategy: rogue });
    join(lb, "a");
    join(lb, "b");
    expect(() => lb.selectCollector(0)).toThrow(InvalidArgumentError);
  });

  it("balancer - remembers task ids per instance in assignment order", () => {
    const lb = new LoadBalancer({ strategy: new RoundRobinStrategy() });
    join(lb, "a");
    join(lb, "b");
    for (let i = 0; i < 5; i++) lb.selectCollector(0, `t${i}`);
    expect(lb.tasksOf("a")).toEqual(["t0", "t2", "t4"]);
    expect(lb.tasksOf("b")).toEqual(["t1", "t3"]);
    expect(lb.tasksOf("nobody")).toEqual([]);
  });
});

describe("balancer - stats", () => {
  it("balancer - stats report distribution, load and per-instance state", () => {
    const clock = new ManualClock(1_000);
    const lb = new LoadBalancer({ strategy: "round-robin" }, { clock });
    join(lb, "a", { max: 4 });
    join(lb, "b", { max: 2 });
    for (let i = 0; i < 5; i++) lb.selectCollector(0, `t${i}`);
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
    join(lb, "a");
    lb.recordSuccess("a", 10);
    lb.recordSuccess("a", 200);
    expect(lb.stats().instances.a!.latencyMs).toBe(200);
    clock.advance(1000);
    lb.recordSuccess("a", 10);
    const expected = 200 * Math.exp(-1) + 10 * (1 - Math.exp(-1));
    expect(lb.stats().instances.a!.latencyMs).toBeCloseTo(expected, 9);
    lb.recordSuccess("ghost", 5); // never registered: nothing recorded
    expect(lb.stats().instances.ghost).toBeUndefined();
  });
});

describe("balancer - stats of a large fleet", () => {
  it("balancer - stats(max) lists busy and failing instances first, counts the rest, and an api.stats reply at 10,000 instances fits one NATS message", () => {
    const lb = new LoadBalancer({ strategy: "round-robin" }, { clock: new ManualClock(1_000) });
    const ids = Array.from({ length: 10_000 }, (_, i) => `c${String(i).padStart(5, "0")}`);
    for (const id of ids) {
      join(lb, id);
      lb.recordSuccess(id, 1.5); // every instance has a latency, as after some load
    }
    const busy = ["c09998", "c05000"].map((id) => {
      lb.assign(id, `task-${id}`);
      return id;
    });
    lb.recordFailure("c07777", "timeout");

    const all = lb.stats();
    expect(Object.keys(all.instances)).toHaveLength(10_000);
    expect(all.instancesOmitted).toBeUndefined();

    const some = lb.stats(MAX_STATS_INSTANCES);
    const listed = Object.keys(some.instances);
    expect(listed).toHaveLength(MAX_STATS_INSTANCES);
    expect(some.instancesOmitted).toBe(10_000 - MAX_STATS_INSTANCES);
    expect(listed).toEqual([...listed].sort());
    for (const id of [...busy, "c07777", "c00000"]) expect(listed).toContain(id);
    expect(listed).not.toContain("c09000");
    // The counters still cover every instance.
    expect(some.maxLoad).toBe(1);
    expect(some.averageLoad).toBeCloseTo(2 / 10_000, 9);

    // One NATS message holds at most 1 MiB by default: the whole list does not fit, the bound does.
    const reply = (balancing: object) =>
      encode(StatsReply, {
        coordinatorId: "c",
        routing: {},
        balancing: { ...balancing },
        distribution: {},
        aggregation: {},
      }).length;
    expect(reply(all)).toBeGreaterThan(1024 * 1024);
    expect(reply(some)).toBeLessThan(256 * 1024);
  });
});
