import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { FailoverEvent, SourceCaps } from "../../subjects/index.js";
import { LoadBalancer, type BalancerOptions } from "../../src/balancer/index.js";
import { advert as advertOf, join, leave, picks, type AdvertOpts } from "./support.js";

function setup(opts: Partial<BalancerOptions> = {}, ids: (string | [string, AdvertOpts])[] = []) {
  const clock = new ManualClock(1_000_000);
  const lb = new LoadBalancer({ strategy: "round-robin", ...opts }, { clock });
  for (const x of ids) {
    if (typeof x === "string") join(lb, x);
    else join(lb, x[0], x[1]);
  }
  const fail = (id: string, times: number): boolean[] =>
    Array.from({ length: times }, () => lb.recordFailure(id, "boom"));
  return { clock, lb, fail };
}

describe("balancer - failures and failover", () => {
  it("balancer - with threshold 2 the first failure returns false, the second true, and failover from instance 1 picks instance 2", () => {
    const { lb } = setup({ failoverThreshold: 2 }, ["collector-1", "collector-2", "collector-3"]);
    expect(lb.recordFailure("collector-1", "timeout")).toBe(false);
    expect(lb.recordFailure("collector-1", "timeout")).toBe(true);
    const event = lb.triggerFailover("collector-1");
    expect(event.failedCollectorId).toBe("collector-1");
    expect(event.failoverTargetId).toBe("collector-2");
    expect(event.reason).toBe("timeout");
    expect(lb.isEjected("collector-1")).toBe(true);
  });

  it("balancer - failover event lists the failed instance's task ids and they are gone from it", () => {
    const { lb, clock } = setup({}, ["a", "b"]);
    for (let i = 0; i < 6; i++) lb.selectCollector(0, `t${i}`);
    expect(lb.tasksOf("a")).toEqual(["t0", "t2", "t4"]);
    const event = lb.triggerFailover("a", "no responders");
    expect(event.taskIds).toEqual(["t0", "t2", "t4"]);
    expect(event.timestamp).toBe(clock.now());
    expect(event.reason).toBe("no responders");
    expect(event.failoverTargetId).toBe("b");
    expect(FailoverEvent.parse(event)).toEqual(event);
    expect(lb.tasksOf("a")).toEqual([]);
    expect(lb.load("a")).toBe(0);
    expect(lb.tasksOf("b")).toEqual(["t1", "t3", "t5"]);
    // late results of moved tasks free nothing twice
    lb.release("a", "t0");
    expect(lb.load("a")).toBe(0);
    const s = lb.stats();
    expect(s.failovers).toBe(1);
    expect(s.tasksRedistributed).toBe(3);
    expect(s.ejections).toBe(1);
  });

  it("balancer - failover events have distinct ids", () => {
    const { lb } = setup({}, ["a", "b", "c", "d"]);
    const ids = new Set(["a", "b"].map((id) => lb.triggerFailover(id).eventId));
    expect(ids.size).toBe(2);
  });

  it("balancer - failover target is the other instance with the most free capacity, ties by id", () => {
    const { lb } = setup({ maxEjectedShare: 1 }, [
      "a",
      ["b", { max: 4, inFlight: 1 }],
      ["c", { max: 8, inFlight: 5 }],
      ["d", { max: 6, inFlight: 3 }],
      ["e", { max: 9, inFlight: 9 }],
    ]);
    expect(lb.triggerFailover("a").failoverTargetId).toBe("b"); // b, c, d have 3 free
    const other = setup({}, ["x", ["y", { max: 2, inFlight: 2 }]]);
    expect(other.lb.triggerFailover("x").failoverTargetId).toBeUndefined();
  });

  it("balancer - a burst of failovers reuses the target found for a second, unless it can no longer take work", () => {
    const { lb, clock } = setup({ maxEjectedShare: 1 }, [
      ["a", { max: 2, inFlight: 1 }],
      ["b", { max: 2, inFlight: 1 }],
      ["c", { max: 4, inFlight: 1 }],
      ["d", { max: 5, inFlight: 3 }],
      ["e", { max: 2, inFlight: 1 }],
    ]);
    expect(lb.triggerFailover("a").failoverTargetId).toBe("c"); // 3 free; b and e 1, d 2
    lb.apply({ kind: "heartbeat", id: "d", health: "healthy", advert: advertOf({ max: 9 }) });
    // d has the most room now, but within the second the target found stands while it has room.
    expect(lb.triggerFailover("b").failoverTargetId).toBe("c");
    clock.advance(1000);
    expect(lb.triggerFailover("e").failoverTargetId).toBe("d");
    lb.apply({
      kind: "heartbeat",
      id: "d",
      health: "healthy",
      advert: advertOf({ inFlight: 9, max: 9 }),
    });
    expect(lb.triggerFailover("e").failoverTargetId).toBe("c"); // d is full: looked for again
  });

  it("balancer - the failover domain is the instances serving every capability of the failed one", () => {
    const { PROCESS, REALTIME, NETWORK } = SourceCaps;
    const { lb } = setup({}, [
      ["rt", { caps: PROCESS | REALTIME }],
      ["plain", { caps: PROCESS, max: 50 }],
      ["net", { caps: NETWORK, max: 50 }],
      ["rt-2", { caps: PROCESS | REALTIME | NETWORK }],
    ]);
    const event = lb.triggerFailover("rt");
    expect(event.failoverTargetId).toBe("rt-2");
    expect(lb.isEjected("rt")).toBe(true); // 1 of 2 in its domain
    expect(lb.triggerFailover("rt-2").failoverTargetId).toBeUndefined();
    expect(lb.isEjected("rt-2")).toBe(false); // it is the domain's last closed instance
  });

  it("balancer - a success resets the consecutive failure count", () => {
    const { lb, fail } = setup({ failoverThreshold: 3 }, ["a"]);
    expect(fail("a", 2)).toEqual([false, false]);
    lb.recordSuccess("a", 5);
    expect(fail("a", 3)).toEqual([false, false, true]);
    expect(lb.stats().instances.a).toMatchObject({ failures: 5, consecutiveFailures: 3 });
    expect(lb.recordFailure("ghost", "boom")).toBe(false);
  });
});

describe("balancer - ejection", () => {
  it("balancer - an ejected instance gets no task until its ejection time is over", () => {
    const { lb, clock, fail } = setup({ ejectionBaseMs: 5000 }, ["a", "b", "c"]);
    expect(fail("a", 3)).toEqual([false, false, true]);
    lb.triggerFailover("a");
    expect(lb.isEjected("a")).toBe(true);
    expect(lb.stats().instances.a).toMatchObject({
      state: "ejected",
      ejectedUntil: clock.now() + 5000,
    });
    expect(picks(lb, 10)).not.toContain("a");
    clock.advance(4999);
    expect(lb.isEjected("a")).toBe(true);
    expect(picks(lb, 10)).not.toContain("a");
    clock.advance(1);
    expect(lb.isEjected("a")).toBe(false);
    expect(lb.stats().instances.a!.state).toBe("half-open");
    expect(picks(lb, 3)).toContain("a");
  });

  it("balancer - a half-open instance takes one task at a time and a success closes it", () => {
    const { lb, clock } = setup({}, ["a", "b"]);
    lb.triggerFailover("a");
    clock.advance(5000);
    const got = [0, 1, 2, 3].map((i) => lb.selectCollector(0, `t${i}`));
    expect(got).toEqual(["a", "b", "b", "b"]); // the probe on a is out: a waits
    expect(lb.assign("a", "t-named")).toBe(false);
    lb.recordSuccess("a", 12);
    lb.release("a", "t0");
    expect(lb.stats().instances.a!.state).toBe("closed");
    const after = [4, 5, 6, 7].map((i) => lb.selectCollector(0, `t${i}`));
    expect(after).toEqual(["a", "b", "a", "b"]);
    expect(lb.load("a")).toBe(2);
  });

  it("balancer - a failed half-open probe re-ejects for twice as long, up to ejectionMaxMs", () => {
    const { lb, clock } = setup({ ejectionBaseMs: 5000, ejectionMaxMs: 15_000 }, ["a", "b"]);
    lb.triggerFailover("a");
    const expectEjectedFor = (ms: number): void => {
      clock.advance(ms - 1);
      expect(lb.isEjected("a")).toBe(true);
      clock.advance(1);
      expect(lb.isEjected("a")).toBe(false);
    };
    expectEjectedFor(5000);
    expect(lb.selectCollector(0, "probe-1")).toBe("a");
    expect(lb.recordFailure("a", "still broken")).toBe(false); // nothing else to move
    lb.release("a", "probe-1");
    expectEjectedFor(10_000);
    lb.selectCollector(0, "probe-2");
    lb.recordFailure("a", "still broken");
    expectEjectedFor(15_000); // 20 s capped at 15 s
    expect(lb.stats().instances.a!.ejections).toBe(3);
  });

  it("balancer - repeat ejections double; a long healthy spell forgets them", () => {
    const { lb, clock } = setup({ ejectionBaseMs: 1000, ejectionMaxMs: 60_000 }, ["a", "b"]);
    const ejectionLength = (): number => {
      lb.triggerFailover("a");
      const until = lb.stats().instances.a!.ejectedUntil! - clock.now();
      clock.advance(until);
      lb.recordSuccess("a", 1); // half-open success closes it
      return until;
    };
    expect(ejectionLength()).toBe(1000);
    clock.advance(10_000);
    expect(ejectionLength()).toBe(2000);
    clock.advance(60_000);
    expect(ejectionLength()).toBe(1000);
  });

  it("balancer - failures reported while ejected are counted but do not extend the ejection", () => {
    const { lb, clock } = setup({}, ["a", "b"]);
    lb.triggerFailover("a");
    const until = lb.stats().instances.a!.ejectedUntil;
    clock.advance(1000);
    expect(lb.recordFailure("a", "late")).toBe(false);
    expect(lb.stats().instances.a).toMatchObject({ ejectedUntil: until, failures: 1 });
  });

  it("balancer - the last instance of a domain is never ejected", () => {
    const { lb, fail } = setup({ failoverThreshold: 2 }, ["solo"]);
    lb.selectCollector(0, "t1");
    expect(fail("solo", 2)).toEqual([false, true]);
    const event = lb.triggerFailover("solo");
    expect(event.failoverTargetId).toBeUndefined();
    expect(event.taskIds).toEqual(["t1"]);
    expect(lb.isEjected("solo")).toBe(false);
    expect(lb.selectCollector(0, "t2")).toBe("solo");
    // the count starts again after a failover
    expect(fail("solo", 2)).toEqual([false, true]);
    // an instance never heard of: an empty event, nothing ejected
    expect(lb.triggerFailover("ghost")).toMatchObject({ taskIds: [], failedCollectorId: "ghost" });
  });

  it("balancer - of two instances only one is ejected at a time", () => {
    const { lb } = setup({}, ["a", "b"]);
    lb.triggerFailover("a");
    lb.triggerFailover("b");
    expect(lb.isEjected("a")).toBe(true);
    expect(lb.isEjected("b")).toBe(false);
    expect(picks(lb, 3)).toEqual(["b", "b", "b"]);
  });

  it("balancer - at most maxEjectedShare of the instances are ejected at once", () => {
    const { lb, clock } = setup({ maxEjectedShare: 0.5 }, ["a", "b", "c", "d"]);
    for (const id of ["a", "b", "c"]) lb.triggerFailover(id);
    expect(["a", "b", "c", "d"].map((x) => lb.isEjected(x))).toEqual([true, true, false, false]);
    clock.advance(5000); // a and b half-open: still not closed, c stays in
    lb.triggerFailover("c");
    expect(lb.isEjected("c")).toBe(false);
    expect(lb.stats().ejections).toBe(2);
  });

  it("balancer - maxEjectedShare 0 turns ejection off", () => {
    const { lb } = setup({ maxEjectedShare: 0 }, ["a", "b", "c"]);
    const event = lb.triggerFailover("a");
    expect(lb.isEjected("a")).toBe(false);
    expect(event.failoverTargetId).toBe("b");
  });

  it("balancer - when every instance is ejected (the others left) each still takes one task", () => {
    const { lb } = setup({}, ["a", "b", "c"]);
    lb.triggerFailover("a");
    leave(lb, "b");
    lb.triggerFailover("c"); // 1 of the 2 left ejected already: c stays
    expect(lb.isEjected("c")).toBe(false);
    leave(lb, "c");
    expect(lb.selectCollector(0, "t1")).toBe("a");
    expect(lb.selectCollector(0, "t2")).toBeUndefined();
    lb.recordSuccess("a", 3);
    expect(lb.isEjected("a")).toBe(false);
    expect(lb.selectCollector(0, "t2")).toBe("a");
  });
});
