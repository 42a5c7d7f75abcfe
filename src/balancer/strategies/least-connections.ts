import { RankSet } from "../rank-set.js";
import type { StrategyCandidate, StrategyPool, TaskView } from "../types.js";
import { PooledStrategy } from "./pooled.js";

/** Bucket of a load: loads are task counts; anything else is floored. */
function bucketOf(load: number): number {
  return load > 0 ? Math.floor(load) : 0;
}

/**
 * Fewest effective in-flight tasks wins. Among equally loaded members the pick rotates by id (the
 * first id after the last pick, wrapping), so ties spread instead of always landing on the same
 * instance. The pool is one bucket per load (a bitset of ranks each) and the least non-empty
 * one: a load change moves one bit, a pick scans one bucket's words.
 */
export class LeastConnectionsPool implements StrategyPool {
  readonly #buckets: (RankSet<StrategyCandidate> | undefined)[] = [];
  /** Bucket of each member, by rank. */
  readonly #bucketAt: (number | undefined)[] = [];
  #min = Infinity;
  #size = 0;
  #at = -1;
  #lastId: string | undefined = undefined;

  get size(): number {
    return this.#size;
  }

  add(c: StrategyCandidate): void {
    this.#put(c, bucketOf(c.load));
    this.#size++;
  }

  delete(c: StrategyCandidate): void {
    const k = this.#bucketAt[c.rank];
    if (k === undefined) return;
    this.#take(c, k);
    this.#size--;
  }

  update(c: StrategyCandidate): void {
    const k = this.#bucketAt[c.rank];
    const next = bucketOf(c.load);
    if (k === undefined || k === next) return;
    this.#take(c, k);
    this.#put(c, next);
  }

  reset(position: (id: string) => number): void {
    for (const b of this.#buckets) b?.clear();
    this.#bucketAt.length = 0;
    this.#min = Infinity;
    this.#size = 0;
    if (this.#lastId !== undefined) this.#at = position(this.#lastId);
  }

  select(_task: TaskView, exclude?: ReadonlySet<string>): StrategyCandidate | undefined {
    for (let k = this.#min; k < this.#buckets.length; k++) {
      const b = this.#buckets[k];
      if (b === undefined || b.size === 0) continue;
      const pick = b.nextNotIn(this.#at, exclude);
      if (pick === undefined) continue; // every one of this load is excluded
      this.#at = pick.rank;
      this.#lastId = pick.id;
      return pick;
    }
    return undefined;
  }

  #put(c: StrategyCandidate, k: number): void {
    let b = this.#buckets[k];
    if (b === undefined) {
      while (this.#buckets.length < k) this.#buckets.push(undefined);
      this.#buckets[k] = b = new RankSet<StrategyCandidate>();
    }
    b.add(c);
    this.#bucketAt[c.rank] = k;
    if (k < this.#min) this.#min = k;
  }

  #take(c: StrategyCandidate, k: number): void {
    const b = this.#buckets[k]!;
    b.delete(c);
    this.#bucketAt[c.rank] = undefined;
    if (k === this.#min && b.size === 0) {
      let m = k + 1;
      while (m < this.#buckets.length && (this.#buckets[m]?.size ?? 0) === 0) m++;
      this.#min = m < this.#buckets.length ? m : Infinity;
    }
  }
}

export class LeastConnectionsStrategy extends PooledStrategy<LeastConnectionsPool> {
  constructor() {
    super("least-connections", () => new LeastConnectionsPool());
  }
}
