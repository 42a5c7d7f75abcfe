/**
 * A set of ranks (small non-negative integers) as a bitset, with the candidate behind each: the
 * first member at or after a rank is a scan of 32-bit words (32 of them for 1,000 ranks), adding
 * and deleting are O(1). Round-robin and least-connections keep their members here, so that "the
 * next id after the last pick" costs no string comparison and no shifting of a sorted array.
 */
export class RankSet<T extends { readonly rank: number; readonly id: string }> {
  #words = new Uint32Array(32);
  #items: (T | undefined)[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(c: T): void {
    const r = c.rank;
    const w = r >>> 5;
    if (w >= this.#words.length) {
      const grown = new Uint32Array(Math.max(w + 1, 2 * this.#words.length));
      grown.set(this.#words);
      this.#words = grown;
    }
    const bit = 1 << (r & 31);
    if ((this.#words[w]! & bit) === 0) this.#size++;
    this.#words[w]! |= bit;
    this.#items[r] = c;
  }

  delete(c: T): void {
    const r = c.rank;
    const w = r >>> 5;
    if (this.#items[r] !== c || w >= this.#words.length) return;
    this.#words[w]! &= ~(1 << (r & 31));
    this.#items[r] = undefined;
    this.#size--;
  }

  clear(): void {
    this.#words.fill(0);
    this.#items = [];
    this.#size = 0;
  }

  /** The member of the least rank ≥ `from`, or undefined. */
  from(from: number): T | undefined {
    const words = this.#words;
    let w = from >>> 5;
    if (w >= words.length) return undefined;
    let bits = words[w]! & (~0 << (from & 31));
    while (bits === 0) {
      if (++w >= words.length) return undefined;
      bits = words[w]!;
    }
    // the lowest set bit: 31 - clz32 of it isolated
    return this.#items[(w << 5) + (31 - Math.clz32(bits & -bits))];
  }

  /** The member of the least rank after `after` (fractional ranks allowed), wrapping round. */
  after(after: number): T | undefined {
    return this.from(Math.floor(after) + 1) ?? this.from(0);
  }

  /**
   * The first member after `after` in rank order, wrapping round, whose id is not in `exclude`;
   * undefined when every member is excluded.
   */
  nextNotIn(after: number, exclude: ReadonlySet<string> | undefined): T | undefined {
    const first = this.after(after);
    if (first === undefined || exclude === undefined || !exclude.has(first.id)) return first;
    let c: T | undefined = first;
    for (let seen = 1; seen < this.#size; seen++) {
      c = this.after(c.rank);
      if (c === undefined || c === first) return undefined;
      if (!exclude.has(c.id)) return c;
    }
    return undefined;
  }
}
