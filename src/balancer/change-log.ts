/** Entries kept; a candidate set further behind than this re-reads all its members instead. */
export const CHANGE_LOG_SIZE = 4096;
const MASK = CHANGE_LOG_SIZE - 1;

/**
 * The numbers (`Instance.ix`) of instances whose load, capacity or breaker changed, in order. Each
 * candidate set remembers how far it has read and brings its index up to date from there, so a
 * call costs the changes since the set was last used, not a pass over its members.
 */
export class ChangeLog {
  readonly #ring = new Int32Array(CHANGE_LOG_SIZE);
  /** Entries ever pushed; entry k is readable while count - k <= CHANGE_LOG_SIZE. */
  count = 0;

  push(ix: number): void {
    this.#ring[this.count & MASK] = ix;
    this.count++;
  }

  at(k: number): number {
    return this.#ring[k & MASK]!;
  }
}
