import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ManualClock, seededRng } from "../../src/clock.js";
import {
  LoadBalancer,
  StrategyName,
  resolveStrategy,
  type InstanceStats,
  type LoadBalancingStrategy,
  type StrategyCandidate,
  type StrategyPool,
} from "../../src/balancer/index.js";
import { advert } from "./support.js";

const CAPACITY = [1, 2, 3, 5, 8];
/** Capability bits of each instance; tasks require one of REQUIRED. */
const CAPS = [1, 1 | 4, 2, 1 | 2, 1 | 2 | 4];
const REQUIRED = [0, 1, 2, 4, 1 | 4, 1 | 2, 1 | 2 | 4];

type Op =
  | { kind: "select"; required: number; exclude: number }
  | { kind: "assign"; who: number }
  | { kind: "release"; pick: number }
  | { kind: "beat"; who: number; inFlight: number }
  | { kind: "health"; who: number; up: boolean }
  | { kind: "leave"; who: number }
  | { kind: "fail"; who: number }
  | { kind: "success"; who: number; latencyMs: number }
  | { kind: "tick"; ms: number };

const who = fc.nat({ max: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("select" as const),
      required: fc.constantFrom(...REQUIRED),
      exclude: fc.constantFrom(0, 0, 0, 1, 2, 6, 31),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("assign" as const), who }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("beat" as const),
      who,
      inFlight: fc.nat({ max: 9 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("health" as const), who, up: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("leave" as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("fail" as const), who }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("success" as const),
      who,
      latencyMs: fc.nat({ max: 500 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.nat({ max: 4000 }) }),
  },
);

/** What the runs exercised, so that the property cannot pass vacuously. */
interface Seen {
  assigned: number;
  full: number;
  failovers: number;
  excluded: number;
}

/** Plain checks: vitest's expect is too slow for 100,000 operations. */
function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** Wraps a strategy so that the test can read which instances each of its pools holds. */
function spied(inner: LoadBalancingStrategy): {
  strategy: LoadBalancingStrategy;
  pools: Set<string>[];
} {
  const pools: Set<string>[] = [];
  const strategy: LoadBalancingStrategy = {
    name: inner.name,
    observe: (e) => inner.observe?.(e),
    createPool(): StrategyPool {
      const p = inner.createPool();
      const members = new Set<string>();
      pools.push(members);
      return {
        get size() {
          return p.size;
        },
        add: (c: StrategyCandidate) => (members.add(c.id), p.add(c)),
        delete: (c: StrategyCandidate) => (members.delete(c.id), p.delete(c)),
        update: (c: StrategyCandidate, previous: number) => p.update?.(c, previous),
        reset: (position) => (members.clear(), p.reset(position)),
        select: (task, exclude) => p.select(task, exclude),
      };
    },
  };
  return { strategy, pools };
}

/**
 * Runs one interleaving against a model of what was assigned and of what the router said. Other
 * coordinators' load arrives through heartbeats; failures trigger failovers that move tasks away.
 */
function check(name: string, ops: Op[], seen: Seen): void {
  const clock = new ManualClock(0);
  const rng = seededRng(1);
  const { strategy, pools } = spied(resolveStrategy(name, { clock, rng }));
  const lb = new LoadBalancer({ strategy, failoverThreshold: 2 }, { clock, rng });
  const ids = CAPACITY.map((_, i) => `c${i}`);
  const seq = ids.map(() => 0);
  const up = ids.map(() => true);
  const registered = ids.map(() => true);
  const inFlight = ids.map(() => 0);
  const model = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
  const outstanding: [string, string][] = [];
  const tell = (i: number, kind: "joined" | "heartbeat"): void => {
    const a = advert({ max: CAPACITY[i]!, caps: CAPS[i]!, inFlight: inFlight[i]!, seq: seq[i]! });
    lb.apply({ kind, id: ids[i]!, health: up[i] ? "healthy" : "unavailable", advert: a });
  };
  ids.forEach((_, i) => tell(i, "joined"));
  for (const r of REQUIRED) lb.capable(r); // pools made in this order: pools[k] is REQUIRED[k]
  /** Instances that serve `required` and are routable. */
  const routable = (required: number): number[] =>
    ids
      .map((_, i) => i)
      .filter((i) => registered[i] && up[i] && (CAPS[i]! & required) === required);
  const stat = (i: number): InstanceStats | undefined => lb.stats().instances[ids[i]!];
  const canTake = (i: number): boolean => {
    const st = stat(i);
    if (st === undefined) return true;
    return (
      st.load < st.capacity &&
      (st.state === "closed" || (st.state === "half-open" && st.assigned === 0))
    );
  };
  let next = 0;
  for (const o of ops) {
    switch (o.kind) {
      case "select": {
        const exclude = new Set(ids.filter((_, i) => (o.exclude >> i) & 1));
        const r = routable(o.required);
        const others = r.filter((i) => !exclude.has(ids[i]!));
        const ex = others.length > 0 ? exclude : new Set<string>();
        const allowed = others.length > 0 ? others : r;
        if (ex.size > 0) seen.excluded++;
        const taskId = `t${next++}`;
        const pick = lb.selectCollector(o.required, taskId, exclude);
        if (pick === undefined) {
          seen.full++;
          // undefined only when no allowed instance could take it
          for (const i of allowed) assert(!canTake(i), `undefined while ${ids[i]} was free`);
          break;
        }
        const i = ids.indexOf(pick);
        assert(allowed.includes(i), `picked ${pick} outside the allowed instances`);
        seen.assigned++;
        model.get(pick)!.add(taskId);
        outstanding.push([pick, taskId]);
        assert(lb.load(pick) <= CAPACITY[i]!, `${pick} over capacity`);
        if (lb.isEjected(pick)) {
          assert(
            r.every((j) => lb.isEjected(ids[j]!)),
            `ejected ${pick} picked`,
          ); // only when all are
        }
        break;
      }
      case "assign": {
        const id = ids[o.who]!;
        const taskId = `t${next++}`;
        const free = registered[o.who]! && up[o.who]! && canTake(o.who);
        const ok = lb.assign(id, taskId);
        assert(ok === free, `assign to ${id} answered ${ok}`);
        if (ok) {
          model.get(id)!.add(taskId);
          outstanding.push([id, taskId]);
        }
        break;
      }
      case "release": {
        if (outstanding.length === 0) break;
        const [id, taskId] = outstanding.splice(o.pick % outstanding.length, 1)[0]!;
        model.get(id)!.delete(taskId);
        lb.release(id, taskId);
        break;
      }
      case "beat":
        inFlight[o.who] = o.inFlight;
        seq[o.who]!++;
        registered[o.who] = true;
        tell(o.who, "heartbeat");
        break;
      case "health":
        up[o.who] = o.up;
        registered[o.who] = true;
        tell(o.who, "joined");
        break;
      case "leave": {
        const id = ids[o.who]!;
        registered[o.who] = false;
        lb.apply({ kind: "left", id, health: "unavailable" });
        // the coordinator moves what it had, then forgets it
        lb.triggerFailover(id, "left");
        lb.forget(id);
        model.get(id)!.clear();
        for (let k = outstanding.length - 1; k >= 0; k--) {
          if (outstanding[k]![0] === id) outstanding.splice(k, 1);
        }
        break;
      }
      case "fail": {
        const id = ids[o.who]!;
        if (lb.recordFailure(id, "boom")) {
          const event = lb.triggerFailover(id);
          seen.failovers++;
          const moved = [...event.taskIds].sort().join();
          assert(moved === [...model.get(id)!].sort().join(), "failover lost or invented tasks");
          model.get(id)!.clear();
          for (let k = outstanding.length - 1; k >= 0; k--) {
            if (outstanding[k]![0] === id) outstanding.splice(k, 1);
          }
        }
        break;
      }
      case "success":
        lb.recordSuccess(ids[o.who]!, o.latencyMs);
        break;
      case "tick":
        clock.advance(o.ms);
        break;
    }
    ids.forEach((id, i) => {
      const own = model.get(id)!;
      assert(own.size <= CAPACITY[i]!, `${id} holds more tasks than its capacity`);
      assert(lb.tasksOf(id).length === own.size, `${id} task ids drifted from the model`);
    });
    // every pool holds exactly the instances that can take one of its tasks now
    // as every placement does: look at the clock, bring the pools up to date after joins
    lb.assign("nobody");
    lb.capable(0);
    for (const [k, required] of REQUIRED.entries()) {
      const want = routable(required)
        .filter((i) => canTake(i))
        .map((i) => ids[i]!);
      const pool = pools[k]!;
      assert(
        [...pool].sort().join() === want.join(),
        `pool ${required} holds ${[...pool].sort().join()} instead of ${want.join()}`,
      );
    }
  }
}

describe("balancer - capacity property", () => {
  for (const strategy of Object.values(StrategyName)) {
    it(`balancer - ${strategy} never exceeds capacity over 10,000 random interleavings, and its pools stay exact`, () => {
      const seen: Seen = { assigned: 0, full: 0, failovers: 0, excluded: 0 };
      fc.assert(
        fc.property(fc.array(op, { minLength: 100, maxLength: 100 }), (ops) =>
          check(strategy, ops, seen),
        ),
        { numRuns: 100 },
      );
      expect(seen.assigned).toBeGreaterThan(1000);
      expect(seen.full).toBeGreaterThan(100);
      expect(seen.failovers).toBeGreaterThan(10);
      expect(seen.excluded).toBeGreaterThan(100);
    });
  }
});
