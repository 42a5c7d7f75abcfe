/**
 * A collector's own priority queue: four FIFO levels, highest first. Used only when the collector
 * is saturated, so a busy collector still takes Critical before Low.
 */
export class PriorityFifo<T extends { priority: number }> {
  readonly #levels: T[][] = [[], [], [], []];
  readonly #heads = [0, 0, 0, 0];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    const level = this.#levels[item.priority] ?? this.#levels[1];
    level?.push(item);
    this.#size++;
  }

  shift(): T | undefined {
    for (let p = 3; p >= 0; p--) {
      const level = this.#levels[p] as T[];
      const head = this.#heads[p] as number;
      if (head < level.length) {
        const item = level[head] as T;
        if (head + 1 === level.length) {
          level.length = 0;
          this.#heads[p] = 0;
        } else {
          this.#heads[p] = head + 1;
          if (head > 1024 && head * 2 > level.length) {
            this.#levels[p] = level.slice(head + 1);
            this.#heads[p] = 0;
          }
        }
        this.#size--;
        return item;
      }
    }
    return undefined;
  }

  /** Removes every item `match` picks; true when there was one. O(n): cancels are rare. */
  remove(match: (item: T) => boolean): boolean {
    let removed = false;
    for (let p = 0; p < 4; p++) {
      const level = this.#levels[p] as T[];
      const head = this.#heads[p] as number;
      const kept = level.slice(head).filter((x) => !match(x));
      const gone = level.length - head - kept.length;
      if (gone === 0) continue;
      removed = true;
      this.#levels[p] = kept;
      this.#heads[p] = 0;
      this.#size -= gone;
    }
    return removed;
  }

  /** Removes and returns everything, highest priority first. */
  drain(): T[] {
    const out: T[] = [];
    for (let x = this.shift(); x !== undefined; x = this.shift()) out.push(x);
    return out;
  }
}
