/** An element of an IndexedHeap: the heap keeps its position there (-1 when not in a heap). */
export interface HeapItem {
  heapIndex: number;
}

/**
 * A binary min-heap that records each item's position in the item, so that any item can be
 * removed in O(log n) without a search or a tombstone. An item is in at most one IndexedHeap.
 */
export class IndexedHeap<T extends HeapItem> {
  readonly #a: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  /** `less(a, b)`: a comes out before b. */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#a.length;
  }

  peek(): T | undefined {
    return this.#a[0];
  }

  push(x: T): void {
    const a = this.#a;
    x.heapIndex = a.length;
    a.push(x);
    this.#up(x.heapIndex);
  }

  pop(): T | undefined {
    const a = this.#a;
    const top = a[0];
    if (top === undefined) return undefined;
    this.#removeAt(0);
    return top;
  }

  /** Removes `x` when it is in this heap; false otherwise. */
  remove(x: T): boolean {
    const i = x.heapIndex;
    if (i < 0 || this.#a[i] !== x) return false;
    this.#removeAt(i);
    return true;
  }

  clear(): void {
    for (const x of this.#a) x.heapIndex = -1;
    this.#a.length = 0;
  }

  #removeAt(i: number): void {
    const a = this.#a;
    const gone = a[i] as T;
    const last = a.pop() as T;
    gone.heapIndex = -1;
    if (i === a.length) return;
    this.#place(last, i);
    this.#down(i);
    this.#up(last.heapIndex);
  }

  #up(i: number): void {
    const a = this.#a;
    const x = a[i] as T;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as T;
      if (!this.#less(x, parent)) break;
      this.#place(parent, i);
      i = p;
    }
    this.#place(x, i);
  }

  #down(i: number): void {
    const a = this.#a;
    const n = a.length;
    const x = a[i] as T;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.#less(a[r] as T, a[l] as T)) c = r;
      const child = a[c] as T;
      if (!this.#less(child, x)) break;
      this.#place(child, i);
      i = c;
    }
    this.#place(x, i);
  }

  /** Puts `x` at index `i`, telling it where it is. */
  #place(x: T, i: number): void {
    this.#a[i] = x;
    x.heapIndex = i;
  }
}
