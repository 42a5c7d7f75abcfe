import { describe, expect, it } from "vitest";
import { ManualClock, seededRng, type Deps } from "../../src/clock.js";
import type {
  LoadBalancingStrategy,
  StrategyCandidate,
  TaskView,
} from "../../src/balancer/index.js";
import { sc, type MutableCandidate } from "./support.js";

/** Cases every strategy passes; a strategy may opt out of one with the reason why. */
export const STRATEGY_CASES = [
  "empty",
  "single",
  "only-given",
  "same-seed",
  "tie-pair",
  "tie-order",
  "spreads",
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

const task = (now = 0): TaskView => ({ required: 0, taskId: undefined, now });

function fresh(create: StrategyCasesOptions["create"], seed = 42): LoadBalancingStrategy {
  return create({ clock: new ManualClock(0), rng: seededRng(seed) });
}

function ids(n: number): MutableCandidate[] {
  return Array.from({ length: n }, (_, i) => sc(`c${String(i).padStart(2, "0")}`));
}

/** Registers the shared conformance cases for one strategy. */
export function runStrategyCases({ create, skip = {} }: StrategyCasesOptions): void {
  const name = fresh(create).name;
  const run = (c: StrategyCase, title: string, fn: () => void): void => {
    if (skip[c] === undefined) it(`balancer - ${name} ${title}`, fn);
  };

  describe(`balancer - ${name} conformance`, () => {
    run("empty", "returns undefined for an empty list", () => {
      expect(fresh(create).select([], task())).toBeUndefined();
    });

    run("single", "returns the only candidate", () => {
      const only = sc("solo");
      const s = fresh(create);
      for (let i = 0; i < 5; i++) expect(s.select([only], task(i))).toBe(only);
    });

    run("only-given", "picks only candidates it is given, as the set changes", () => {
      const s = fresh(create);
      const rng = seededRng(3);
      const all = ids(12);
      for (let i = 0; i < 500; i++) {
        const subset = all.filter(() => rng() < 0.5);
        const pick = s.select(subset, task(i));
        if (subset.length === 0) expect(pick).toBeUndefined();
        else expect(subset).toContain(pick);
      }
    });

    run("same-seed", "gives the same picks from the same seed", () => {
      const a = fresh(create, 7);
      const b = fresh(create, 7);
      const all = ids(9);
      const picked = (s: LoadBalancingStrategy): string[] => {
        const rng = seededRng(11);
        const out: string[] = [];
        for (let i = 0; i < 300; i++) {
          const subset = all.filter(() => rng() < 0.7);
          out.push(s.select(subset, task(i))?.id ?? "-");
        }
        return out;
      };
      expect(picked(a)).toEqual(picked(b));
    });

    run("tie-pair", "breaks a tie between two equal candidates by id, in any order", () => {
      const x = sc("x-1");
      const y = sc("x-2");
      expect(fresh(create).select([x, y], task())?.id).toBe("x-1");
      expect(fresh(create).select([y, x], task())?.id).toBe("x-1");
    });

    run("tie-order", "visits equal candidates in id order, whatever the list order", () => {
      const sorted = ids(6);
      const shuffled = [sorted[3]!, sorted[0]!, sorted[5]!, sorted[1]!, sorted[4]!, sorted[2]!];
      const seq = (list: StrategyCandidate[]): string[] => {
        const s = fresh(create);
        return Array.from({ length: 12 }, (_, i) => s.select(list, task(i))!.id);
      };
      const expected = [...sorted, ...sorted].map((c) => c.id);
      expect(seq(sorted)).toEqual(expected);
      expect(seq(shuffled)).toEqual(expected);
      expect(seq([...sorted].reverse())).toEqual(expected);
    });

    run("spreads", "spreads over every candidate as their load grows", () => {
      const s = fresh(create);
      const list = ids(5);
      for (let i = 0; i < 50; i++) {
        const pick = s.select(list, task(i)) as MutableCandidate;
        pick.load++;
      }
      for (const c of list) expect(c.load).toBeGreaterThan(0);
    });

    run("no-mutation", "does not modify the candidates", () => {
      const s = fresh(create);
      const list = ids(4).map((c) => Object.freeze({ ...c }));
      const before = JSON.stringify(list);
      for (let i = 0; i < 20; i++) s.select(list, task(i));
      expect(JSON.stringify(list)).toBe(before);
    });

    run("unknown-events", "takes events about instances it never saw", () => {
      const s = fresh(create);
      s.observe?.({ kind: "success", id: "ghost", at: 1, latencyMs: 5 });
      s.observe?.({ kind: "failure", id: "ghost", at: 2, reason: "boom" });
      s.observe?.({ kind: "forget", id: "ghost", at: 3 });
      const list = ids(3);
      expect(list).toContain(s.select(list, task(4)));
    });
  });
}
