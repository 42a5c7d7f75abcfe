import { idBefore } from "./order.js";
import type {
  DispatchEvent,
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyFactory,
  TaskView,
} from "../types.js";

interface Slot {
  current: number;
}

/**
 * Smooth weighted round-robin, as nginx does it: on every pick each candidate's current weight
 * grows by its weight, the largest current weight wins (ties by id) and loses the sum of the
 * weights. Over a cycle each instance gets picks in proportion to its weight, interleaved
 * (weights 5:1:1 give a a b a c a a, not a a a a a b c). A candidate that is absent (full,
 * ejected) neither gains nor loses while absent.
 */
export class WeightedRoundRobinStrategy implements LoadBalancingStrategy {
  readonly name = "weighted-round-robin";
  readonly #slots = new Map<string, Slot>();
  // Slots by position in the previous list: the balancer offers the same objects in the same
  // order from call to call, so most candidates skip the map lookup.
  readonly #prev: (StrategyCandidate | undefined)[] = [];
  readonly #prevSlots: Slot[] = [];

  select(c: readonly StrategyCandidate[], _task?: TaskView): StrategyCandidate | undefined {
    const n = c.length;
    if (n <= 1) return c[0];
    const prev = this.#prev;
    const prevSlots = this.#prevSlots;
    let total = 0;
    let best: StrategyCandidate | undefined;
    let bestSlot: Slot | undefined;
    for (let i = 0; i < n; i++) {
      const x = c[i]!;
      let s: Slot;
      if (prev[i] === x && prev[i]!.id === x.id) {
        s = prevSlots[i]!;
      } else {
        s = this.#slot(x.id);
        prev[i] = x;
        prevSlots[i] = s;
      }
      const w = x.weight > 0 ? x.weight : 1;
      const cur = (s.current += w);
      total += w;
      if (
        bestSlot === undefined ||
        cur > bestSlot.current ||
        (cur === bestSlot.current && idBefore(x, best!))
      ) {
        best = x;
        bestSlot = s;
      }
    }
    bestSlot!.current -= total;
    return best;
  }

  observe(e: DispatchEvent): void {
    if (e.kind !== "forget") return;
    this.#slots.delete(e.id);
    this.#prev.length = 0;
    this.#prevSlots.length = 0;
  }

  #slot(id: string): Slot {
    let s = this.#slots.get(id);
    if (s === undefined) {
      s = { current: 0 };
      this.#slots.set(id, s);
    }
    return s;
  }
}

export const createWeightedRoundRobin: StrategyFactory = () => new WeightedRoundRobinStrategy();
