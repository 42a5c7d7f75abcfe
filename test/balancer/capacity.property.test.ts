import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ManualClock, seededRng } from "../../src/clock.js";
import { LoadBalancer, StrategyName } from "../../src/balancer/index.js";
import { cand, type TestCandidate } from "./support.js";

const CAPACITY = [1, 2, 3, 5, 8];

type Op =
  | { kind: "select"; mask: number }
  | { kind: "release"; pick: number }
  | { kind: "advert"; who: number; inFlight: number }
  | { kind: "fail"; who: number }
  | { kind: "success"; who: number; latencyMs: number }
  | { kind: "tick"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("select" as const),
      mask: fc.integer({ min: 1, max: 31 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("advert" as const),
      who: fc.nat({ max: 4 }),
      inFlight: fc.nat({ max: 9 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("fail" as const), who: fc.nat({ max: 4 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("success" as const),
      who: fc.nat({ max: 4 }),
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
}

/** Plain checks: vitest's expect is too slow for 50,000 operations. */
function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/**
 * Runs one interleaving against a model of what was assigned. Other coordinators' load arrives
 * through adverts (heartbeat seq bumps); failures trigger failovers that move tasks away.
 */
function check(strategy: string, ops: Op[], seen: Seen): void {
  const clock = new ManualClock(0);
  const lb = new LoadBalancer({ strategy, failoverThreshold: 2 }, { clock, rng: seededRng(1) });
  const pool: TestCandidate[] = CAPACITY.map((max, i) => cand(`c${i}`, { max, seq: 0 }));
  const model = new Map<string, Set<string>>(pool.map((c) => [c.id, new Set()]));
  const outstanding: [string, string][] = [];
  let next = 0;
  for (const o of ops) {
    switch (o.kind) {
      case "select": {
        const subset = pool.filter((_, i) => (o.mask >> i) & 1);
        const taskId = `t${next++}`;
        const pick = lb.selectCollector(0, subset, taskId);
        if (pick === null) {
          seen.full++;
          // null only when no candidate of the subset could take it
          const instances = lb.stats().instances;
          for (const c of subset) {
            const st = instances[c.id]!;
            assert(st.load >= st.capacity || st.state !== "closed", `null while ${c.id} was free`);
          }
          break;
        }
        assert(subset.includes(pick), "picked outside the candidates");
        seen.assigned++;
        model.get(pick.id)!.add(taskId);
        outstanding.push([pick.id, taskId]);
        // the assignment never takes an instance beyond its capacity
        assert(lb.load(pick.id) <= pick.advert.maxConcurrency, `${pick.id} over capacity`);
        if (lb.isEjected(pick.id)) {
          assert(
            subset.every((c) => lb.isEjected(c.id)),
            `ejected ${pick.id} picked`,
          ); // only when all are
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
      case "advert": {
        const c = pool[o.who]!;
        c.advert.inFlight = o.inFlight;
        c.advert.heartbeatSeq = (c.advert.heartbeatSeq ?? 0) + 1;
        break;
      }
      case "fail": {
        const id = pool[o.who]!.id;
        if (lb.recordFailure(id, "boom")) {
          const event = lb.triggerFailover(id, pool, 0);
          seen.failovers++;
          const moved = [...event.taskIds].sort().join();
          assert(moved === [...model.get(id)!].sort().join(), "failover lost or invented tasks");
          model.get(id)!.clear();
          for (let i = outstanding.length - 1; i >= 0; i--) {
            if (outstanding[i]![0] === id) outstanding.splice(i, 1);
          }
          assert(
            pool.some((c) => !lb.isEjected(c.id)),
            "every instance ejected",
          );
        }
        break;
      }
      case "success":
        lb.recordSuccess(pool[o.who]!.id, o.latencyMs);
        break;
      case "tick":
        clock.advance(o.ms);
        break;
    }
    for (const c of pool) {
      const own = model.get(c.id)!;
      assert(own.size <= c.advert.maxConcurrency, `${c.id} holds more tasks than its capacity`);
      assert(lb.tasksOf(c.id).length === own.size, `${c.id} task ids drifted from the model`);
    }
  }
}

describe("balancer - capacity property", () => {
  for (const strategy of Object.values(StrategyName)) {
    it(`balancer - ${strategy} never exceeds capacity over 10,000 random select/release interleavings`, () => {
      const seen: Seen = { assigned: 0, full: 0, failovers: 0 };
      fc.assert(
        fc.property(fc.array(op, { minLength: 100, maxLength: 100 }), (ops) =>
          check(strategy, ops, seen),
        ),
        { numRuns: 100 },
      );
      expect(seen.assigned).toBeGreaterThan(1000);
      expect(seen.full).toBeGreaterThan(100);
      expect(seen.failovers).toBeGreaterThan(10);
    });
  }
});
