/** Leaves for n entries: the next power of two (at least 1). */
function leaves(n: number): number {
  let size = 1;
  while (size < n) size <<= 1;
  return size;
}

/**
 * Minimum segment tree over n numbers (Infinity for an entry that does not count): the least
 * value, and the first entry at or after a position whose value is at most a bound, in O(log n).
 */
export class MinTree {
  readonly n: number;
  readonly #size: number;
  readonly #t: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.#size = leaves(n);
    this.#t = new Float64Array(2 * this.#size).fill(Infinity);
  }

  /** Sets entry k without updating the inner nodes: call `rebuild` after a batch. */
  put(k: number, v: number): void {
    this.#t[this.#size + k] = v;
  }

  rebuild(): void {
    const t = this.#t;
    for (let i = this.#size - 1; i >= 1; i--) {
      const l = t[2 * i]!;
      const r = t[2 * i + 1]!;
      t[i] = l < r ? l : r;
    }
  }

  set(k: number, v: number): void {
    const t = this.#t;
    let i = this.#size + k;
    if (t[i] === v) return;
    t[i] = v;
    for (i >>= 1; i >= 1; i >>= 1) {
      const l = t[2 * i]!;
      const r = t[2 * i + 1]!;
      const m = l < r ? l : r;
      if (t[i] === m) return; // the ancestors hold the same minimum already
      t[i] = m;
    }
  }

  get(k: number): number {
    return this.#t[this.#size + k]!;
  }

  /** The least value (Infinity when every entry is Infinity). */
  min(): number {
    return this.#t[1]!;
  }

  /** The first entry k >= start with value <= bound, or -1. */
  first(start: number, bound: number): number {
    if (start >= this.n) return -1;
    const t = this.#t;
    const size = this.#size;
    let i = size + start;
    // Up and right until a subtree holds a match: i's range begins just after the ones skipped.
    while (!(t[i]! <= bound)) {
      while ((i & 1) === 1) {
        if (i === 1) return -1;
        i >>= 1;
      }
      i++;
    }
    // Down to its leftmost matching leaf.
    while (i < size) {
      i <<= 1;
      if (!(t[i]! <= bound)) i++;
    }
    return i - size;
  }
}

/** Counts of n entries that are 0 or 1: how many are 1, and the k-th of them, in O(log n). */
export class CountTree {
  readonly n: number;
  readonly #size: number;
  readonly #t: Int32Array;

  constructor(n: number) {
    this.n = n;
    this.#size = leaves(n);
    this.#t = new Int32Array(2 * this.#size);
  }

  /** Sets entry k without updating the inner nodes: call `rebuild` after a batch. */
  put(k: number, v: 0 | 1): void {
    this.#t[this.#size + k] = v;
  }

  rebuild(): void {
    const t = this.#t;
    for (let i = this.#size - 1; i >= 1; i--) t[i] = t[2 * i]! + t[2 * i + 1]!;
  }

  set(k: number, v: 0 | 1): void {
    const t = this.#t;
    let i = this.#size + k;
    const d = v - t[i]!;
    if (d === 0) return;
    for (; i >= 1; i >>= 1) t[i] = t[i]! + d;
  }

  get(k: number): number {
    return this.#t[this.#size + k]!;
  }

  /** Entries that are 1. */
  total(): number {
    return this.#t[1]!;
  }

  /** Position of the k-th entry (from 0) that is 1; k must be below total(). */
  nth(k: number): number {
    const t = this.#t;
    const size = this.#size;
    let i = 1;
    while (i < size) {
      i <<= 1;
      const left = t[i]!;
      if (k >= left) {
        k -= left;
        i++;
      }
    }
    return i - size;
  }
}
