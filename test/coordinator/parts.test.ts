/** The coordinator's pure parts, with an injected clock: no server, no timers. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ErrorCode, SourceCaps, TaskPriority, type Task } from "../../subjects/index.js";
import { FlightTable, Mismatch } from "../../src/coordinator/flights.js";
import { TaskLedger } from "../../src/coordinator/ledger.js";
import {
  parseTargeting,
  placeTargeted,
  type PlacementParts,
} from "../../src/coordinator/targeting.js";

const T0 = 1_700_000_000_000;

function task(id: string, deadline = T0 + 10_000, attempt = 0): Task {
  return {
    taskId: id,
    correlationId: `c-${id}`,
    requiredCapabilities: SourceCaps.PROCESS,
    domain: "process",
    priority: TaskPriority.Normal,
    createdAt: T0,
    deadline,
    attempt,
  };
}

const slow = { reason: "attempt timeout", code: ErrorCode.Timeout, gone: false };
const dead = { reason: "no responders", code: ErrorCode.Timeout, gone: true };

describe("coordinator - flight table", () => {
  it("coordinator - an answer fits only the attempt in flight, from the instance it went to", () => {
    const flights = new FlightTable(1000);
    const f = flights.start(task("t1", T0 + 10_000, 2), "a", T0);
    expect(flights.match("t1", 2, "a", 2)).toBe(f);
    expect(flights.match("t1", 2)).toBe(f);
    expect(flights.match("nope", 2, "a")).toBe(Mismatch.NotInFlight);
    expect(flights.match("t1", undefined, "a")).toBe(Mismatch.NoAttemptToken);
    expect(flights.match("t1", 1, "a")).toBe(Mismatch.OtherAttempt);
    expect(flights.match("t1", 2, "a", 1)).toBe(Mismatch.OtherAttempt);
    expect(flights.match("t1", 2, "b")).toBe(Mismatch.OtherInstance);
    flights.drop(f);
    expect(flights.match("t1", 2, "a")).toBe(Mismatch.NotInFlight);
  });

  it("coordinator - attempts expire in deadline order, within their task's deadline, and progress restarts the clock", () => {
    const flights = new FlightTable(1000);
    const a = flights.start(task("a"), "x", T0);
    const b = flights.start(task("b", T0 + 300), "x", T0); // its task ends first
    const c = flights.start(task("c"), "y", T0 + 500);
    expect(b.attemptDeadline).toBe(T0 + 300);
    expect(flights.expire(T0 + 299)).toEqual([]);
    expect(flights.expire(T0 + 1000)).toEqual([b, a]);
    flights.touch(c, T0 + 1200);
    expect(flights.expire(T0 + 1600)).toEqual([]);
    expect(flights.expire(T0 + 2200)).toEqual([c]);
    expect(flights.size).toBe(0);
    expect(flights.hasWork("x")).toBe(false);
  });

  it("coordinator - an outage moves every attempt deadline by its length", () => {
    const flights = new FlightTable(1000);
    const a = flights.start(task("a"), "x", T0);
    const b = flights.start(task("b", T0 + 1500), "x", T0);
    flights.extendAll(2000);
    expect(a.attemptDeadline).toBe(T0 + 3000);
    expect(b.attemptDeadline).toBe(T0 + 1500); // never past its task's deadline
    expect(flights.expire(T0 + 2000)).toEqual([b]);
    expect(flights.on("x")).toEqual([a]);
  });
});

describe("coordinator - flights by instance", () => {
  it("coordinator - each instance's attempts in flight, oldest first, through any mix of sends, re-sends, answers and expiries", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("start" as const),
        t: fc.nat(7),
        on: fc.constantFrom("a", "b", "c"),
      }),
      fc.record({ kind: fc.constant("drop" as const), t: fc.nat(7) }),
      fc.record({ kind: fc.constant("expire" as const), at: fc.nat(20) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const flights = new FlightTable(10);
        // The model: the flights in flight, in the order they were sent.
        let model: { id: string; on: string; deadline: number }[] = [];
        let now = T0;
        for (const o of ops) {
          if (o.kind === "start") {
            now++;
            flights.start(task(`t${o.t}`), o.on, now);
            model = model.filter((m) => m.id !== `t${o.t}`);
            model.push({ id: `t${o.t}`, on: o.on, deadline: now + 10 });
          } else if (o.kind === "drop") {
            const f = flights.get(`t${o.t}`);
            if (f) flights.drop(f);
            model = model.filter((m) => m.id !== `t${o.t}`);
          } else {
            flights.expire(T0 + o.at);
            model = model.filter((m) => m.deadline > T0 + o.at);
          }
          for (const on of ["a", "b", "c"]) {
            const want = model.filter((m) => m.on === on).map((m) => m.id);
            expect(flights.on(on).map((f) => f.task.taskId)).toEqual(want);
            expect(flights.hasWork(on)).toBe(want.length > 0);
          }
          expect([...flights.instances()].sort()).toEqual(
            [...new Set(model.map((m) => m.on))].sort(),
          );
          expect(flights.size).toBe(model.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("coordinator - task ledger", () => {
  function ledger(maxAttempts = 3) {
    const l = new TaskLedger(maxAttempts);
    const one = l.open("c1", "one", TaskPriority.Normal, undefined);
    const all = l.open("c2", "all", TaskPriority.Normal, undefined);
    return { l, one, all };
  }

  it("coordinator - a `one` task is re-sent elsewhere until its attempts run out, then gives up with the reason", () => {
    const { l, one } = ledger(2);
    const e = l.add(one, task("t"), undefined);
    expect(l.nextAttempt(e).attempt).toBe(0);
    expect(l.failed("t", "a", slow, T0)).toMatchObject({ kind: "resend" });
    expect([...(e.avoid ?? [])]).toEqual(["a"]);
    expect(l.nextAttempt(e).attempt).toBe(1);
    const d = l.failed("t", "b", slow, T0);
    expect(d?.kind).toBe("give-up");
    expect(d?.kind === "give-up" && d.error.code).toBe(ErrorCode.Timeout);
    expect(d?.kind === "give-up" && d.error.message).toMatch(
      /gave up after 2 attempts: attempt timeout/,
    );
    expect(l.has("t")).toBe(false);
  });

  it("coordinator - a fan-out part whose instance is gone is lost, never re-sent to another host", () => {
    const { l, all } = ledger();
    const e = l.add(all, task("p"), "a");
    l.nextAttempt(e);
    const d = l.failed("p", "a", dead, T0);
    expect(d?.kind).toBe("lost");
    expect(d?.kind === "lost" && d.error.code).toBe(ErrorCode.CollectorLost);
    expect(d?.kind === "lost" && d.error.message).toMatch(/collector a was lost.*no responders/);
  });

  it("coordinator - a slow fan-out part is sent again to its own instance, not elsewhere", () => {
    const { l, all } = ledger();
    const e = l.add(all, task("p"), "a");
    l.nextAttempt(e);
    expect(l.failed("p", "a", slow, T0)).toMatchObject({ kind: "resend", entry: { owner: "a" } });
    expect(e.avoid).toBeUndefined();
  });

  it("coordinator - a failure past the task's own deadline is not the instance's: the task expires", () => {
    const { l, one } = ledger();
    l.add(one, task("t", T0 + 100), undefined);
    expect(l.failed("t", "a", dead, T0 + 100)).toMatchObject({ kind: "expired" });
    expect(l.failed("t", "a", dead, T0 + 100)).toBeUndefined();
  });

  it("coordinator - closing a submission returns its open tasks and leaves a newer one under the same id", () => {
    const l = new TaskLedger(3);
    const old = l.open("same", "all", TaskPriority.Normal, undefined);
    l.add(old, task("p1"), "a");
    l.add(old, task("p2"), "b");
    l.end("p1");
    const newer = l.open("same", "one", TaskPriority.Normal, undefined);
    l.add(newer, task("n1"), undefined);
    expect(l.close(old).map((e) => e.task.taskId)).toEqual(["p2"]);
    expect(l.submissions).toBe(1);
    expect(l.has("n1")).toBe(true);
  });
});

describe("coordinator - targeted placement", () => {
  /** Routable instances with their load and labels; assign() always has room. */
  function parts(instances: Record<string, { load: number; zone: string }>): PlacementParts {
    const advert = (id: string) =>
      ({ id, labels: { zone: instances[id]!.zone }, capabilities: SourceCaps.PROCESS }) as never;
    const ids = Object.keys(instances).sort();
    return {
      router: { get: (id) => (id in instances ? { advert: advert(id) } : undefined) },
      balancer: {
        routable: () => ids,
        isRoutable: (id) => id in instances,
        load: (id) => instances[id]!.load,
        assign: () => true,
        selectCollector: (_r, _t, exclude) => ids.find((id) => !exclude?.has(id)),
      },
    };
  }

  it("coordinator - a preferred instance that failed the task is passed over while another fits", () => {
    const p = parts({ quiet: { load: 0, zone: "eu" }, quick: { load: 3, zone: "us" } });
    const prefer = parseTargeting({ prefer: "zone=eu" })!;
    const named = parseTargeting({ collectors: ["quiet", "quick"], prefer: "id=quiet" })!;
    expect(placeTargeted(p, prefer, SourceCaps.PROCESS, "t", undefined)).toBe("quiet");
    expect(placeTargeted(p, prefer, SourceCaps.PROCESS, "t", new Set(["quiet"]))).toBe("quick");
    expect(placeTargeted(p, named, SourceCaps.PROCESS, "t", new Set(["quiet"]))).toBe("quick");
    // The only instance that fits gets the task again.
    const alone = parseTargeting({ collectors: ["quiet"], prefer: "id=quiet" })!;
    expect(placeTargeted(p, alone, SourceCaps.PROCESS, "t", new Set(["quiet"]))).toBe("quiet");
  });
});
