import type { CandidateSet } from "../candidate-set.js";

/** Members of one weight, with a tree of the best member of each range. */
interface WeightClass {
  readonly weight: number;
  /** Leaves of the tree (a power of two). */
  readonly leaves: number;
  /** Node → list position of the best member below it, -1 for none; leaves at [leaves, 2·leaves). */
  readonly tree: Int32Array;
}

/**
 * Smooth weighted round-robin over one candidate set while the set stays as it is (the same
 * members available, the same weights), with integer weights and current weights: what one pass
 * per pick computes, in O(classes + log n).
 *
 * Every pick adds each member's weight to its current weight, so after k picks a member's current
 * weight is base + weight × k, where base changes only when the member is picked (it loses the
 * total). Among members of equal weight the order of current weights is the order of bases, so a
 * tree per weight keeps each class's best member (greatest base, then first in id order), and a
 * pick compares one member per class. In integers below 2^53, base + weight × k is exactly what k
 * additions give, so the picks are exactly the pass's.
 *
 * While active, the strategy's current weight of a member in a class holds its base; `leave`
 * writes the real current weights back.
 */
export class WeightClasses {
  readonly set: CandidateSet;
  /** `set.version` at entry: any other version means the set changed. */
  readonly version: number;
  readonly #slots: Int32Array;
  readonly #classes: WeightClass[];
  /** List position → its class and its leaf, -1 when it takes no task. */
  readonly #classOf: Int32Array;
  readonly #leafOf: Int32Array;
  readonly #total: number;
  #rounds = 0;

  /** The classes of `set`'s available members, or undefined when a weight or a current weight is not an integer. */
  static enter(
    set: CandidateSet,
    slots: Int32Array,
    current: Float64Array,
  ): WeightClasses | undefined {
    const byWeight = new Map<number, number[]>();
    for (let i = 0; i < slots.length; i++) {
      if (set.takes[i] === 0) continue;
      const w = set.weights[i]!;
      if (!Number.isSafeInteger(w) || !Number.isSafeInteger(current[slots[i]!]!)) return undefined;
      let members = byWeight.get(w);
      if (members === undefined) byWeight.set(w, (members = []));
      members.push(i);
    }
    const total = set.takerWeight();
    if (!Number.isSafeInteger(total)) return undefined;
    return new WeightClasses(set, slots, current, byWeight, total);
  }

  private constructor(
    set: CandidateSet,
    slots: Int32Array,
    current: Float64Array,
    byWeight: Map<number, number[]>,
    total: number,
  ) {
    this.set = set;
    this.version = set.version;
    this.#slots = slots;
    this.#total = total;
    this.#classOf = new Int32Array(slots.length).fill(-1);
    this.#leafOf = new Int32Array(slots.length).fill(-1);
    this.#classes = [];
    for (const [weight, members] of byWeight) {
      let leaves = 1;
      while (leaves < members.length) leaves <<= 1;
      const tree = new Int32Array(2 * leaves).fill(-1);
      const c = this.#classes.length;
      for (let k = 0; k < members.length; k++) {
        const i = members[k]!;
        tree[leaves + k] = i;
        this.#classOf[i] = c;
        this.#leafOf[i] = k;
      }
      for (let node = leaves - 1; node >= 1; node--) {
        tree[node] = this.#better(tree[2 * node]!, tree[2 * node + 1]!, current);
      }
      this.#classes.push({ weight, leaves, tree });
    }
  }

  /** The next pick (list position); `current` holds the bases of the class members. */
  pick(current: Float64Array): number {
    const slots = this.#slots;
    const idPos = this.set.idPos;
    const k = ++this.#rounds;
    let best = -1;
    let bestCur = 0;
    for (const c of this.#classes) {
      const t = c.tree[1]!;
      if (t < 0) continue;
      const cur = current[slots[t]!]! + c.weight * k;
      if (best < 0 || cur > bestCur || (cur === bestCur && idPos[t]! < idPos[best]!)) {
        best = t;
        bestCur = cur;
      }
    }
    current[slots[best]!]! -= this.#total;
    const c = this.#classes[this.#classOf[best]!]!;
    const tree = c.tree;
    for (let node = (c.leaves + this.#leafOf[best]!) >> 1; node >= 1; node >>= 1) {
      tree[node] = this.#better(tree[2 * node]!, tree[2 * node + 1]!, current);
    }
    return best;
  }

  /** Writes the current weights back (bases plus the rounds' additions). */
  leave(current: Float64Array): void {
    const k = this.#rounds;
    if (k === 0) return;
    for (const c of this.#classes) {
      const add = c.weight * k;
      for (let leaf = c.leaves; leaf < 2 * c.leaves; leaf++) {
        const i = c.tree[leaf]!;
        if (i >= 0) current[this.#slots[i]!]! += add;
      }
    }
    this.#rounds = 0;
  }

  /** Of two members of one class (list positions, -1 for none): greater base, then id order. */
  #better(a: number, b: number, current: Float64Array): number {
    if (a < 0) return b;
    if (b < 0) return a;
    const ca = current[this.#slots[a]!]!;
    const cb = current[this.#slots[b]!]!;
    if (ca !== cb) return ca > cb ? a : b;
    return this.set.idPos[a]! < this.set.idPos[b]! ? a : b;
  }
}
