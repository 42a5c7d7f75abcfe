const NONE: readonly number[] = Object.freeze([]);

/** Where one instance sits in the array (-1 while out). Kept while the instance is known. */
interface Slot {
  at: number;
}

/**
 * The members of a pool in an array, with swap-remove: adding and deleting are O(1), and the k-th
 * member is an index, which is what a uniform draw needs (random, p2c-ewma). The order is that of
 * the additions as changed by removals: deterministic for a given history, never sorted. An
 * instance's slot is kept while it is out, so that filling up and freeing again changes no map.
 */
export class MemberArray<T extends { readonly id: string }> {
  readonly #items: T[] = [];
  readonly #slotAt: Slot[] = [];
  readonly #slots = new Map<string, Slot>();

  get size(): number {
    return this.#items.length;
  }

  add(c: T): void {
    let slot = this.#slots.get(c.id);
    if (slot === undefined) this.#slots.set(c.id, (slot = { at: -1 }));
    if (slot.at >= 0) return;
    slot.at = this.#items.length;
    this.#items.push(c);
    this.#slotAt.push(slot);
  }

  delete(c: T): void {
    const slot = this.#slots.get(c.id);
    if (slot === undefined || slot.at < 0) return;
    const i = slot.at;
    slot.at = -1;
    const last = this.#items.pop()!;
    const lastSlot = this.#slotAt.pop()!;
    if (i < this.#items.length) {
      this.#items[i] = last;
      this.#slotAt[i] = lastSlot;
      lastSlot.at = i;
    }
  }

  clear(): void {
    for (const slot of this.#slotAt) slot.at = -1;
    this.#items.length = 0;
    this.#slotAt.length = 0;
  }

  /** The instance left for good: its slot goes too. */
  forget(id: string): void {
    const slot = this.#slots.get(id);
    if (slot !== undefined && slot.at < 0) this.#slots.delete(id);
  }

  /** Positions, ascending, of the members whose id is in `exclude` ([] without it). */
  excluded(exclude: ReadonlySet<string> | undefined): readonly number[] {
    if (exclude === undefined || exclude.size === 0) return NONE;
    const out: number[] = [];
    for (const id of exclude) {
      const at = this.#slots.get(id)?.at ?? -1;
      if (at >= 0) out.push(at);
    }
    return out.sort((a, b) => a - b);
  }

  /** The k-th member (from 0) among those not at the positions `skip` (ascending). */
  nth(k: number, skip: readonly number[]): T {
    let i = k;
    for (let j = 0; j < skip.length && skip[j]! <= i; j++) i++;
    return this.#items[i]!;
  }
}
