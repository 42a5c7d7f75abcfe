/**
 * The members of a pool in an array, with swap-remove: adding and deleting are O(1), and the k-th
 * member is an index, which is what a uniform draw needs (random, p2c-ewma). The order is that of
 * the additions as changed by removals: deterministic for a given history, never sorted.
 */
const NONE: readonly number[] = Object.freeze([]);

export class MemberArray<T extends { readonly id: string }> {
  readonly #items: T[] = [];
  readonly #at = new Map<string, number>();

  get size(): number {
    return this.#items.length;
  }

  add(c: T): void {
    if (this.#at.has(c.id)) return;
    this.#at.set(c.id, this.#items.length);
    this.#items.push(c);
  }

  delete(c: T): void {
    const i = this.#at.get(c.id);
    if (i === undefined) return;
    this.#at.delete(c.id);
    const last = this.#items.pop()!;
    if (i < this.#items.length) {
      this.#items[i] = last;
      this.#at.set(last.id, i);
    }
  }

  clear(): void {
    this.#items.length = 0;
    this.#at.clear();
  }

  /** Positions, ascending, of the members whose id is in `exclude` ([] without it). */
  excluded(exclude: ReadonlySet<string> | undefined): readonly number[] {
    if (exclude === undefined || exclude.size === 0) return NONE;
    const out: number[] = [];
    for (const id of exclude) {
      const i = this.#at.get(id);
      if (i !== undefined) out.push(i);
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
