import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { seededRng } from "../../src/clock.js";
import {
  LoadBalancer,
  RoundRobinStrategy,
  StrategyName,
  type LoadBalancingStrategy,
  type StrategyCandidate,
  type TaskView,
} from "../../src/balancer/index.js";
import { compare, ops } from "./differential.js";

/** A subclass that replaces select: the balancer must call it, not the indexed pick. */
class CountingRoundRobin extends RoundRobinStrategy {
  calls = 0;
  override select(c: readonly StrategyCandidate[], task?: TaskView): StrategyCandidate | undefined {
    this.calls++;
    return super.select(c, task);
  }
}

/** A strategy with no index: the balancer hands it the list of available candidates. */
const lastById = (): LoadBalancingStrategy => ({
  name: "last-by-id",
  select: (c) =>
    c.reduce<StrategyCandidate | undefined>((a, x) => (a && a.id > x.id ? a : x), undefined),
});

const strategies: [string, () => string | LoadBalancingStrategy][] = [
  ...Object.values(StrategyName).map((s): [string, () => string] => [s, () => s]),
  ["a subclass replacing select", () => new CountingRoundRobin()],
  ["a strategy without an index", lastById],
];

describe("balancer - frozen candidate lists", () => {
  for (const [name, strategy] of strategies) {
    it(`balancer - ${name} picks and reports the same from frozen lists as from plain copies`, () => {
      fc.assert(
        fc.property(ops, (steps) => {
          const diff = compare(
            (deps) => ({
              indexed: new LoadBalancer({ strategy: strategy(), failoverThreshold: 2 }, deps()),
              plain: new LoadBalancer({ strategy: strategy(), failoverThreshold: 2 }, deps()),
            }),
            steps,
          );
          if (diff !== undefined) throw new Error(diff);
        }),
        { numRuns: 150 },
      );
    });
  }

  it("balancer - a frozen list left unused for thousands of changes reads its members again", () => {
    const advert = (inFlight: number, seq: number) => ({
      maxConcurrency: 6,
      inFlight,
      heartbeatSeq: seq,
    });
    const ids = ["a", "b", "c", "d"];
    const older = Object.freeze(ids.map((id) => ({ id, advert: advert(1, 1) })));
    const newer = Object.freeze(ids.map((id, i) => ({ id, advert: advert(i, 2) })));
    for (const strategy of Object.values(StrategyName)) {
      const indexed = new LoadBalancer({ strategy }, { rng: seededRng(4) });
      const plain = new LoadBalancer({ strategy }, { rng: seededRng(4) });
      const both = (list: readonly (typeof older)[number][], taskId: string): void => {
        const a = indexed.selectCollector(0, list, taskId);
        const b = plain.selectCollector(0, [...list], taskId);
        expect(a?.id).toBe(b?.id);
        if (a !== null && taskId.startsWith("r")) {
          indexed.release(a.id, taskId);
          plain.release(a.id, taskId);
        }
      };
      both(older, "t0");
      for (let i = 0; i < 3000; i++) both(newer, `r${i}`); // > 4096 logged changes
      both(older, "t1"); // its adverts apply again (as on every plain call)
      both(older, "t2");
      expect(indexed.stats()).toEqual(plain.stats());
    }
  });

  it("balancer - a subclass replacing select is called for frozen lists too", () => {
    const s = new CountingRoundRobin();
    const lb = new LoadBalancer({ strategy: s });
    const list = Object.freeze([{ id: "a", advert: { maxConcurrency: 4, inFlight: 0 } }]);
    lb.selectCollector(0, list, "t1");
    lb.selectCollector(0, list, "t2");
    expect(s.calls).toBe(2);
  });

  it("balancer - a frozen list is re-read for a new advert object, and its load counts at once", () => {
    const lb = new LoadBalancer({ strategy: "least-connections" });
    const advert = (inFlight: number, seq: number) => ({
      maxConcurrency: 4,
      inFlight,
      heartbeatSeq: seq,
    });
    const first = Object.freeze([
      { id: "a", advert: advert(0, 1) },
      { id: "b", advert: advert(0, 1) },
    ]);
    expect(lb.selectCollector(0, first, "t1")?.id).toBe("a");
    // b reports 3 tasks of another coordinator: the next list carries its new advert
    const second = Object.freeze([first[0]!, { id: "b", advert: advert(3, 2) }]);
    expect(lb.selectCollector(0, second, "t2")?.id).toBe("a");
    expect(lb.load("b")).toBe(3);
    expect(lb.selectCollector(0, second, "t3")?.id).toBe("a");
    // a: 3, b: 3, a tie: the rotation goes on after a, to b
    expect(lb.selectCollector(0, second, "t4")?.id).toBe("b");
    expect(lb.load("a")).toBe(3);
    expect(lb.load("b")).toBe(4);
  });
});
