import { describe, expect, it } from "vitest";
import { ManualClock, seededRng, type Deps } from "../../src/clock.js";
import type { LoadBalancingStrategy } from "../../src/balancer/index.js";
import { at, Driver, sc, type MutableCandidate } from "./support.js";

/** Cases every strategy passes; a strategy may opt out of one with the reason why. */
export const STRATEGY_CASES = [
  "empty",
  "single",
  "only-members",
  "same-seed",
  "tie-pair",
  "tie-order",
  "spreads",
  "excludes",
  "no-mutation",
  "unknown-events",
] as const;
export type StrategyCase = (typeof STRATEGY_CASES)[number];

export interface StrategyCasesOptions {
  /** Builds a fresh strategy from the injected clock and rng. */
  create: (deps: Deps) => LoadBalancingStrategy;
  /** Cases this strategy does not satisfy, each with the reason (read by people, not run). */
  skip?: Partial<Record<StrategyCase, string>>;
}

function fresh(create: StrategyCasesOptions["create"], seed = 42): Driver {
  return new Driver(create({ clock: new ManualClock(0), rng: seededRng(seed) }));
}

function ids(n: number): MutableCandidate[] {
  return Array.from({ length: n }, (_, i) => sc(`c${String(i).padStart(2, "0")}`));
}

/** Registers the shared conformance cases for one strategy (its pools, driven as the balancer does). */
export function runStrategyCases({ create, skip = {} }: StrategyCasesOptions): void {
  const name = create({ clock: new ManualClock(0), rng: seededRng(1) }).name;
  const run = (c: StrategyCase, title: string, fn: () => void): void => {
    if (skip[c] === undefined) it(`balancer - ${name} ${title}`, fn);
  };

  describe(`balancer - ${name} conformance`, () => {
    run("empty", "returns undefined from an empty pool", () => {
      const d = fresh(create);
      expect(d.select()).toBeUndefined();
      const only = sc("gone");
      d.offer([only]);
      d.offer([]);
      expect(d.select()).toBeUndefined();
      expect(d.pool.size).toBe(0);
    });

    run("single", "returns the only member", () => {
      const only = sc("solo");
      const d = fresh(create);
      d.offer([only]);
      for (let i = 0; i < 5; i++) expect(d.select(at(i))).toBe(only);
    });

    run("only-members", "picks only members, as members come and go", () => {
      const d = fresh(create);
      const rng = seededRng(3);
      const all = ids(12);
      for (let i = 0; i < 500; i++) {
        const subset = all.filter(() => rng() < 0.5);
        const pick = d.pick(subset, at(i));
        if (subset.length === 0) expect(pick).toBeUndefined();
        else expect(subset).toContain(pick);
        expect(d.pool.size).toBe(subset.length);
      }
    });

    run("same-seed", "gives the same picks from the same seed", () => {
      const picked = (d: Driver): string[] => {
        const all = ids(9);
        const rng = seededRng(11);
        const out: string[] = [];
        for (let i = 0; i < 300; i++) {
          const subset = all.filter(() => rng() < 0.7);
          out.push(d.pick(subset, at(i))?.id ?? "-");
        }
        return out;
      };
      expect(picked(fresh(create, 7))).toEqual(picked(fresh(create, 7)));
    });

    run("tie-pair", "breaks a tie between two equal members by id, in any order", () => {
      expect(fresh(create).pick([sc("x-1"), sc("x-2")])?.id).toBe("x-1");
      expect(fresh(create).pick([sc("x-2"), sc("x-1")])?.id).toBe("x-1");
    });

    run("tie-order", "visits equal members in id order, whatever order they came in", () => {
      const seq = (order: number[]): string[] => {
        const list = ids(6);
        const d = fresh(create);
        d.offer(order.map((i) => list[i]!));
        return Array.from({ length: 12 }, (_, i) => d.select(at(i))!.id);
      };
      const expected = [...ids(6), ...ids(6)].map((c) => c.id);
      expect(seq([0, 1, 2, 3, 4, 5])).toEqual(expected);
      expect(seq([3, 0, 5, 1, 4, 2])).toEqual(expected);
      expect(seq([5, 4, 3, 2, 1, 0])).toEqual(expected);
    });

    run("spreads", "spreads over every member as their load grows", () => {
      const d = fresh(create);
      const list = ids(5);
      d.offer(list);
      for (let i = 0; i < 50; i++) {
        const pick = d.select(at(i)) as MutableCandidate;
        d.setLoad(pick, pick.load + 1);
      }
      for (const c of list) expect(c.load).toBeGreaterThan(0);
    });

    run("excludes", "never picks an excluded member, and none when all are", () => {
      const d = fresh(create);
      const list = ids(6);
      d.offer(list);
      const rng = seededRng(5);
      for (let i = 0; i < 300; i++) {
        const exclude = new Set(list.filter(() => rng() < 0.4).map((c) => c.id));
        exclude.add("not-a-member");
        const pick = d.select(at(i), exclude);
        if (list.every((c) => exclude.has(c.id))) expect(pick).toBeUndefined();
        else expect(exclude.has(pick!.id)).toBe(false);
      }
      expect(d.select(at(0), new Set(list.map((c) => c.id)))).toBeUndefined();
      expect(list).toContain(d.select(at(0)));
    });

    run("no-mutation", "does not modify the candidates", () => {
      const d = fresh(create);
      const list = ids(4).map((c, i) => Object.freeze({ ...c, rank: i }));
      for (const c of list) d.pool.add(c);
      const before = JSON.stringify(list);
      for (let i = 0; i < 20; i++) d.select(at(i));
      expect(JSON.stringify(list)).toBe(before);
    });

    run("unknown-events", "takes events about instances it never saw", () => {
      const s = create({ clock: new ManualClock(0), rng: seededRng(1) });
      s.observe?.({ kind: "success", id: "ghost", at: 1, latencyMs: 5 });
      s.observe?.({ kind: "failure", id: "ghost", at: 2, reason: "boom" });
      s.observe?.({ kind: "forget", id: "ghost", at: 3 });
      const d = new Driver(s);
      const list = ids(3);
      expect(list).toContain(d.pick(list, at(4)));
    });
  });
}
