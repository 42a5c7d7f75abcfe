import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { FailoverEvent } from "../../subjects/schemas.js";
import { LoadBalancer, type BalancerOptions } from "../../src/balancer/index.js";
import { cand } from "./support.js";

function setup(opts: Partial<BalancerOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const lb = new LoadBalancer({ strategy: "round-robin", ...opts }, { clock });
  const fail = (id: string, times: number): boolean[] =>
    Array.from({ length: times }, () => lb.recordFailure(id, "boom"));
  return { clock, lb, fail };
}

/** Picks n tasks, releasing each, and returns the ids picked. */
function picks(lb: LoadBalancer, c: ReturnType<typeof cand>[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = lb.selectCollector(0, c, `p${i}`);
    out.push(p?.id ?? "-");
    if (p) lb.release(p.id, `p${i}`);
  }
  return out;
}

describe("balancer - failures and failover", () => {
  it("balancer - with threshold 2 the first failure returns false, the second true, and failover from instance 1 picks instance 2", () => {
    const { lb } = setup({ failoverThreshold: 2 });
    const candidates = [cand("collector-1"), cand("collector-2"), cand("collector-3")];
    expect(lb.recordFailure("collector-1", "timeout")).toBe(false);
    expect(lb.recordFailure("collector-1", "timeout")).toBe(true);
    const event = lb.triggerFailover("collector-1", candidates, 1);
    expect(event.failedCollectorId).toBe("collector-1");
    expect(event.failoverTargetId).toBe("collector-2");
    expect(event.reason).toBe("timeout");
    expect(lb.isEjected("collector-1")).toBe(true);
  });

  it("balancer - failover event lists the failed instance's task ids and they are gone from it", () => {
    const { lb, clock } = setup();
    const c = [cand("a"), cand("b")];
    for (let i = 0; i < 6; i++) lb.selectCollector(1, c, `t${i}`);
    expect(lb.tasksOf("a")).toEqual(["t0", "t2", "t4"]);
    const event = lb.triggerFailover("a", c, 1, "no responders");
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
    const { lb } = setup();
    const c = [cand("a"), cand("b"), cand("c"), cand("d")];
    const ids = new Set(["a", "b"].map((id) => lb.triggerFailover(id, c, 0).eventId));
    expect(ids.size).toBe(2);
  });

  it("balancer - failover target is the other instance with the most free capacity, ties by id", () => {
    const { lb } = setup({ maxEjectedShare: 1 });
    const c = [
      cand("a"),
      cand("b", { max: 4, inFlight: 1 }),
      cand("c", { max: 8, inFlight: 5 }),
      cand("d", { max: 6, inFlight: 3 }),
      cand("e", { max: 9, inFlight: 9 }),
    ];
    expect(lb.triggerFailover("a", c, 0).failoverTargetId).toBe("b"); // b, c, d have 3 free
    const full = [cand("x"), cand("y", { max: 2, inFlight: 2 })];
    expect(lb.triggerFailover("x", full, 0).failoverTargetId).toBeUndefined();
  });

  it("balancer - a success resets the consecutive failure count", () => {
    const { lb, fail } = setup({ failoverThreshold: 3 });
    expect(fail("a", 2)).toEqual([false, false]);
    lb.recordSuccess("a", 5);
    expect(fail("a", 3)).toEqual([false, false, true]);
    expect(lb.stats().instances.a).toMatchObject({ failures: 5, consecutiveFailures: 3 });
  });
});

describe("balancer - ejection", () => {
  it("balancer - an ejected instance gets no task until its ejection time is over", () => {
    const { lb, clock, fail } = setup({ ejectionBaseMs: 5000 });
    const c = [cand("a"), cand("b"), cand("c")];
    expect(fail("a", 3)).toEqual([false, false, true]);
    lb.triggerFailover("a", c, 0);
    expect(lb.isEjected("a")).toBe(true);
    expect(lb.stats().instances.a).toMatchObject({
      state: "ejected",
      ejectedUntil: clock.now() + 5000,
    });
    expect(picks(lb, c, 10)).not.toContain("a");
    clock.advance(4999);
    expect(lb.isEjected("a")).toBe(true);
    expect(picks(lb, c, 10)).not.toContain("a");
    clock.advance(1);
    expect(lb.isEjected("a")).toBe(false);
    expect(lb.stats().instances.a!.state).toBe("half-open");
  });

  it("balancer - a half-open instance takes one task at a time and a success closes it", () => {
    const { lb, clock } = setup();
    const c = [cand("a"), cand("b")];
    lb.triggerFailover("a", c, 0);
    clock.advance(5000);
    const got = [0, 1, 2, 3].map((i) => lb.selectCollector(0, c, `t${i}`)!.id);
    expect(got).toEqual(["a", "b", "b", "b"]); // the probe on a is out: a waits
    lb.recordSuccess("a", 12);
    lb.release("a", "t0");
    expect(lb.stats().instances.a!.state).toBe("closed");
    const after = [4, 5, 6, 7].map((i) => lb.selectCollector(0, c, `t${i}`)!.id);
    expect(after).toEqual(["a", "b", "a", "b"]);
    expect(lb.load("a")).toBe(2);
  });

  it("balancer - a failed half-open probe re-ejects for twice as long, up to ejectionMaxMs", () => {
    const { lb, clock } = setup({ ejectionBaseMs: 5000, ejectionMaxMs: 15_000 });
    const c = [cand("a"), cand("b")];
    lb.triggerFailover("a", c, 0);
    const expectEjectedFor = (ms: number): void => {
      clock.advance(ms - 1);
      expect(lb.isEjected("a")).toBe(true);
      clock.advance(1);
      expect(lb.isEjected("a")).toBe(false);
    };
    expectEjectedFor(5000);
    expect(lb.selectCollector(0, c, "probe-1")?.id).toBe("a");
    expect(lb.recordFailure("a", "still broken")).toBe(false); // nothing else to move
    lb.release("a", "probe-1");
    expectEjectedFor(10_000);
    lb.selectCollector(0, c, "probe-2");
    lb.recordFailure("a", "still broken");
    expectEjectedFor(15_000); // 20 s capped at 15 s
    expect(lb.stats().instances.a!.ejections).toBe(3);
  });

  it("balancer - repeat ejections double; a long healthy spell forgets them", () => {
    const { lb, clock } = setup({ ejectionBaseMs: 1000, ejectionMaxMs: 60_000 });
    const c = [cand("a"), cand("b")];
    const ejectionLength = (): number => {
      lb.triggerFailover("a", c, 0);
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
    const { lb, clock } = setup();
    const c = [cand("a"), cand("b")];
    lb.triggerFailover("a", c, 0);
    const until = lb.stats().instances.a!.ejectedUntil;
    clock.advance(1000);
    expect(lb.recordFailure("a", "late")).toBe(false);
    expect(lb.stats().instances.a).toMatchObject({ ejectedUntil: until, failures: 1 });
  });

  it("balancer - the last instance of a domain is never ejected", () => {
    const { lb, fail } = setup({ failoverThreshold: 2 });
    const only = [cand("solo")];
    lb.selectCollector(0, only, "t1");
    expect(fail("solo", 2)).toEqual([false, true]);
    const event = lb.triggerFailover("solo", only, 0);
    expect(event.failoverTargetId).toBeUndefined();
    expect(event.taskIds).toEqual(["t1"]);
    expect(lb.isEjected("solo")).toBe(false);
    expect(lb.selectCollector(0, only, "t2")?.id).toBe("solo");
    // the caller may leave the failed instance out of the candidates: still not ejected
    lb.triggerFailover("solo", [], 0);
    expect(lb.isEjected("solo")).toBe(false);
    // the count starts again after a failover
    expect(fail("solo", 2)).toEqual([false, true]);
  });

  it("balancer - of two instances only one is ejected at a time", () => {
    const { lb } = setup();
    const c = [cand("a"), cand("b")];
    lb.triggerFailover("a", c, 0);
    lb.triggerFailover("b", c, 0);
    expect(lb.isEjected("a")).toBe(true);
    expect(lb.isEjected("b")).toBe(false);
    expect(picks(lb, c, 3)).toEqual(["b", "b", "b"]);
  });

  it("balancer - at most maxEjectedShare of the candidates are ejected at once", () => {
    const { lb, clock } = setup({ maxEjectedShare: 0.5 });
    const c = ["a", "b", "c", "d"].map((id) => cand(id));
    for (const id of ["a", "b", "c"]) lb.triggerFailover(id, c, 0);
    expect(c.map((x) => lb.isEjected(x.id))).toEqual([true, true, false, false]);
    clock.advance(5000); // a and b half-open: still not closed, c stays in
    lb.triggerFailover("c", c, 0);
    expect(lb.isEjected("c")).toBe(false);
    expect(lb.stats().ejections).toBe(2);
  });

  it("balancer - maxEjectedShare 0 turns ejection off", () => {
    const { lb } = setup({ maxEjectedShare: 0 });
    const c = [cand("a"), cand("b"), cand("c")];
    const event = lb.triggerFailover("a", c, 0);
    expect(lb.isEjected("a")).toBe(false);
    expect(event.failoverTargetId).toBe("b");
  });

  it("balancer - when every candidate is ejected (the others left) each still takes one task", () => {
    const { lb } = setup();
    lb.triggerFailover("a", [cand("a"), cand("b")], 0);
    lb.forget("b");
    const only = [cand("a")];
    expect(lb.selectCollector(0, only, "t1")?.id).toBe("a");
    expect(lb.selectCollector(0, only, "t2")).toBeNull();
    lb.recordSuccess("a", 3);
    expect(lb.isEjected("a")).toBe(false);
    expect(lb.selectCollector(0, only, "t2")?.id).toBe("a");
  });
});
