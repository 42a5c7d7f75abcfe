import type { StrategyCandidate, StrategyPool, TaskView } from "../types.js";
import { ForgettingStrategy } from "./pooled.js";

/**
 * One instance the pool has seen: in the pool, its current weight is base + weight × rounds (see
 * the pool); out of it, `current` holds it. Kept while the instance is known, so that filling up
 * and freeing again changes no map.
 */
interface Entry {
  c: StrategyCandidate;
  weight: number;
  base: number;
  current: number;
  /** Position in its class's heap; -1 while out of the pool. */
  at: number;
}

/** Greater current weight first (same weight: greater base), then smaller id (rank). */
function before(a: Entry, b: Entry): boolean {
  return a.base > b.base || (a.base === b.base && a.c.rank < b.c.rank);
}

/** The members of one weight, best first: an indexed binary heap. */
class WeightClass {
  readonly weight: number;
  readonly heap: Entry[] = [];

  constructor(weight: number) {
    this.weight = weight;
  }

  push(e: Entry): void {
    e.at = this.heap.length;
    this.heap.push(e);
    this.#up(e.at);
  }

  remove(e: Entry): void {
    const last = this.heap.pop()!;
    if (last === e) return;
    this.heap[e.at] = last;
    last.at = e.at;
    this.#up(last.at);
    this.#down(last.at);
  }

  /** The top's base went down. */
  sink(): void {
    this.#down(0);
  }

  #up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  #down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      let best = i;
      if (l < h.length && before(h[l]!, h[best]!)) best = l;
      if (l + 1 < h.length && before(h[l + 1]!, h[best]!)) best = l + 1;
      if (best === i) return;
      this.#swap(i, best);
      i = best;
    }
  }

  #swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    a.at = j;
    b.at = i;
  }
}

/**
 * Smooth weighted round-robin, as nginx does it: on every pick each member's current weight grows
 * by its weight, the largest current weight wins (ties by id) and loses the sum of the members'
 * weights. Over a cycle each instance gets picks in proportion to its weight, interleaved
 * (weights 5:1:1 give a a b a c a a, not a a a a a b c). An instance that leaves the pool (full,
 * ejected) or is excluded neither gains nor loses meanwhile.
 *
 * Every pick adds to every member, so the pool keeps `rounds` instead: a member's current weight
 * is base + weight × rounds, and only the picked member's base changes. Members of one weight keep
 * their order between picks, so each weight class is a heap and a pick compares the top of each
 * class: O(classes + log n), exact for integer weights (adverts carry integers).
 */
export class WeightedRoundRobinPool implements StrategyPool {
  readonly #entries = new Map<string, Entry>();
  readonly #classes = new Map<number, WeightClass>();
  /** The same classes, in an array for the pick's loop. */
  readonly #classList: WeightClass[] = [];
  #size = 0;
  #rounds = 0;
  #total = 0;

  get size(): number {
    return this.#size;
  }

  add(c: StrategyCandidate): void {
    let e = this.#entries.get(c.id);
    if (e === undefined) {
      e = { c, weight: 1, base: 0, current: 0, at: -1 };
      this.#entries.set(c.id, e);
    } else if (e.at >= 0) {
      return;
    }
    const weight = c.weight > 0 ? c.weight : 1;
    e.c = c;
    e.weight = weight;
    e.base = e.current - weight * this.#rounds;
    this.#size++;
    let cls = this.#classes.get(weight);
    if (cls === undefined) {
      cls = new WeightClass(weight);
      this.#classes.set(weight, cls);
      this.#classList.push(cls);
    }
    cls.push(e);
    this.#total += weight;
  }

  delete(c: StrategyCandidate): void {
    const e = this.#entries.get(c.id);
    if (e === undefined || e.at < 0) return;
    this.#classes.get(e.weight)!.remove(e);
    e.at = -1;
    e.current = e.base + e.weight * this.#rounds;
    this.#total -= e.weight;
    this.#size--;
  }

  /** A new weight files the member under its new class, with its current weight. */
  update(c: StrategyCandidate): void {
    const e = this.#entries.get(c.id);
    if (e === undefined || e.at < 0 || e.weight === (c.weight > 0 ? c.weight : 1)) return;
    this.delete(c);
    this.add(c);
  }

  reset(): void {
    for (const e of this.#entries.values()) this.delete(e.c);
  }

  /** The instance left for good. */
  forget(id: string): void {
    if ((this.#entries.get(id)?.at ?? 0) < 0) this.#entries.delete(id);
  }

  select(_task: TaskView, exclude?: ReadonlySet<string>): StrategyCandidate | undefined {
    let out: StrategyCandidate[] | undefined;
    if (exclude !== undefined) {
      for (const id of exclude) {
        const e = this.#entries.get(id);
        if (e === undefined || e.at < 0) continue;
        this.delete(e.c); // absent for this pick: no gain, no loss
        (out ??= []).push(e.c);
      }
    }
    const pick = this.#pick();
    if (out !== undefined) for (const c of out) this.add(c);
    return pick;
  }

  #pick(): StrategyCandidate | undefined {
    if (this.#size <= 1) {
      for (const cls of this.#classList) if (cls.heap.length > 0) return cls.heap[0]!.c;
      return undefined;
    }
    const k = ++this.#rounds;
    let best: Entry | undefined;
    let bestCls: WeightClass | undefined;
    let bestCur = 0;
    const classes = this.#classList;
    for (let i = 0; i < classes.length; i++) {
      const cls = classes[i]!;
      const top = cls.heap[0];
      if (top === undefined) continue;
      const cur = top.base + cls.weight * k;
      if (best === undefined || cur > bestCur || (cur === bestCur && top.c.rank < best.c.rank)) {
        best = top;
        bestCls = cls;
        bestCur = cur;
      }
    }
    best!.base -= this.#total;
    bestCls!.sink();
    return best!.c;
  }
}

export class WeightedRoundRobinStrategy extends ForgettingStrategy<WeightedRoundRobinPool> {
  constructor() {
    super("weighted-round-robin", () => new WeightedRoundRobinPool());
  }
}
