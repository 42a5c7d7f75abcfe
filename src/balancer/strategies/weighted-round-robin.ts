import type { CandidateSet } from "../candidate-set.js";
import { pickIndexed, type IndexedStrategy } from "../indexed.js";
import { idBefore } from "./order.js";
import { WeightClasses } from "./weight-classes.js";
import type {
  DispatchEvent,
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyFactory,
  TaskView,
} from "../types.js";

/** Passes over an unchanged set after which picks go through its weight classes. */
const STEADY_AFTER = 16;

/** Slot numbers of one candidate set, per list position, valid while `epoch` is current. */
interface SetSlots {
  readonly epoch: number;
  readonly slots: Int32Array;
}

/**
 * Smooth weighted round-robin, as nginx does it: on every pick each candidate's current weight
 * grows by its weight, the largest current weight wins (ties by id) and loses the sum of the
 * weights. Over a cycle each instance gets picks in proportion to its weight, interleaved
 * (weights 5:1:1 give a a b a c a a, not a a a a a b c). A candidate that is absent (full,
 * ejected) neither gains nor loses while absent. Every pick changes every current weight, so it
 * is one pass over the candidates; through the balancer's index, a pass over numbers, and once
 * the same set has gone unchanged for a while, O(log n) through its weight classes (exact for
 * integer weights; see WeightClasses).
 */
export class WeightedRoundRobinStrategy implements LoadBalancingStrategy, IndexedStrategy {
  readonly name = "weighted-round-robin";
  /** Slot number per id; the slot's current weight is #current[slot]. */
  readonly #slots = new Map<string, number>();
  #current = new Float64Array(64);
  #used = 0;
  readonly #free: number[] = [];
  /** Bumped when a slot is freed: slot numbers kept per candidate set are looked up again. */
  #epoch = 0;
  // Slots by position in the previous list: the balancer offers the same objects in the same
  // order from call to call, so most candidates skip the map lookup.
  readonly #prev: (StrategyCandidate | undefined)[] = [];
  readonly #prevSlots: number[] = [];
  /** Picks from one set through its weight classes; #current holds bases meanwhile. */
  #steady: WeightClasses | undefined = undefined;
  /** Passes in a row over `#passSet` at `#passVersion`. */
  #passSet: CandidateSet | undefined = undefined;
  #passVersion = -1;
  #passes = 0;

  select(c: readonly StrategyCandidate[], _task?: TaskView): StrategyCandidate | undefined {
    const n = c.length;
    if (n <= 1) return c[0];
    this.#leaveSteady();
    const prev = this.#prev;
    const prevSlots = this.#prevSlots;
    let total = 0;
    let best: StrategyCandidate | undefined;
    let bestSlot = -1;
    for (let i = 0; i < n; i++) {
      const x = c[i]!;
      let s: number;
      if (prev[i] === x && prev[i]!.id === x.id) {
        s = prevSlots[i]!;
      } else {
        s = this.#slot(x.id);
        prev[i] = x;
        prevSlots[i] = s;
      }
      const current = this.#current;
      const w = x.weight > 0 ? x.weight : 1;
      const cur = (current[s]! += w);
      total += w;
      if (
        bestSlot < 0 ||
        cur > current[bestSlot]! ||
        (cur === current[bestSlot]! && idBefore(x, best!))
      ) {
        best = x;
        bestSlot = s;
      }
    }
    this.#current[bestSlot]! -= total;
    return best;
  }

  /**
   * `select` over the set's available members without building their list: the same additions,
   * the same winner; the sum of their weights comes from the set, added up in the same order.
   */
  [pickIndexed](set: CandidateSet): number {
    const steady = this.#steady;
    if (steady !== undefined) {
      if (steady.set === set && steady.version === set.version) return steady.pick(this.#current);
      this.#leaveSteady();
    }
    if (set.takers() <= 1) return set.nthTaker(0);
    const slots = this.#slotsOf(set);
    const current = this.#current;
    const weights = set.weights; // Instance.weight: always > 0
    const takes = set.takes;
    const idPos = set.idPos;
    let best = -1;
    let bestCur = 0;
    for (let i = 0; i < slots.length; i++) {
      if (takes[i] === 0) continue;
      const cur = (current[slots[i]!]! += weights[i]!);
      if (best < 0 || cur > bestCur || (cur === bestCur && idPos[i]! < idPos[best]!)) {
        best = i;
        bestCur = cur;
      }
    }
    current[slots[best]!]! -= set.takerWeight();
    if (set !== this.#passSet || set.version !== this.#passVersion) {
      this.#passSet = set;
      this.#passVersion = set.version;
      this.#passes = 0;
    }
    if (++this.#passes >= STEADY_AFTER) {
      this.#steady = WeightClasses.enter(set, slots, current);
      this.#passes = 0;
    }
    return best;
  }

  observe(e: DispatchEvent): void {
    if (e.kind !== "forget") return;
    this.#leaveSteady();
    const s = this.#slots.get(e.id);
    if (s === undefined) return;
    this.#slots.delete(e.id);
    this.#free.push(s);
    this.#epoch++;
    this.#prev.length = 0;
    this.#prevSlots.length = 0;
  }

  /** Back to plain passes: the current weights of the steady set's members written back. */
  #leaveSteady(): void {
    if (this.#steady === undefined) return;
    this.#steady.leave(this.#current);
    this.#steady = undefined;
    this.#passSet = undefined;
  }

  #slotsOf(set: CandidateSet): Int32Array {
    const kept = set.strategyData as SetSlots | undefined;
    if (kept !== undefined && kept.epoch === this.#epoch) return kept.slots;
    const slots = new Int32Array(set.size);
    for (let i = 0; i < slots.length; i++) slots[i] = this.#slot(set.members[i]!.id);
    set.strategyData = { epoch: this.#epoch, slots } satisfies SetSlots;
    return slots;
  }

  #slot(id: string): number {
    let s = this.#slots.get(id);
    if (s === undefined) {
      s = this.#free.pop();
      if (s === undefined) {
        s = this.#used++;
        if (s === this.#current.length) {
          const grown = new Float64Array(2 * s);
          grown.set(this.#current);
          this.#current = grown;
        }
      }
      this.#current[s] = 0;
      this.#slots.set(id, s);
    }
    return s;
  }
}

export const createWeightedRoundRobin: StrategyFactory = () => new WeightedRoundRobinStrategy();
