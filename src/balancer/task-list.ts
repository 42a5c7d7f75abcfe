/** Tasks kept in the array; past this many the list moves them to a Set. */
const ARRAY_MAX = 32;

/**
 * The task ids assigned to one instance: a set in assignment order, as a `Set<string>` is, but
 * without allocating while it stays small. An instance usually holds a few tasks, and a `Set`
 * emptied by a release reallocates its table (in V8, through a runtime call), so every
 * assignment and release cycle on an idle instance cost an allocation. Up to ARRAY_MAX ids live
 * in an array whose length never goes down; beyond, in a Set.
 */
export class TaskList {
  #ids: string[] = [];
  #n = 0;
  #set: Set<string> | undefined = undefined;

  get size(): number {
    return this.#set !== undefined ? this.#set.size : this.#n;
  }

  /** Adds `id` at the end, unless it is here already. */
  add(id: string): void {
    if (this.#set !== undefined) {
      this.#set.add(id);
      return;
    }
    const ids = this.#ids;
    const n = this.#n;
    for (let i = 0; i < n; i++) if (ids[i] === id) return;
    if (n === ARRAY_MAX) {
      this.#set = new Set(this.values());
      this.#set.add(id);
      this.#ids = [];
      this.#n = 0;
      return;
    }
    ids[n] = id;
    this.#n = n + 1;
  }

  /** Removes `id`; false when it was not here. */
  delete(id: string): boolean {
    if (this.#set !== undefined) return this.#set.delete(id);
    const ids = this.#ids;
    const n = this.#n;
    for (let i = 0; i < n; i++) {
      if (ids[i] !== id) continue;
      for (let j = i + 1; j < n; j++) ids[j - 1] = ids[j]!;
      ids[n - 1] = ""; // keeps the length: no reallocation on the next add
      this.#n = n - 1;
      return true;
    }
    return false;
  }

  clear(): void {
    this.#set = undefined;
    this.#ids.fill("", 0, this.#n);
    this.#n = 0;
  }

  /** The ids in assignment order (a copy). */
  values(): string[] {
    return this.#set !== undefined ? [...this.#set] : this.#ids.slice(0, this.#n);
  }
}
