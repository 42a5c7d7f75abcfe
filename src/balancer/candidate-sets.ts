import { CandidateSet } from "./candidate-set.js";
import type { InstanceTable } from "./instance-table.js";
import type { BalancerCandidate } from "./types.js";

/**
 * The balancer's indexes of frozen candidate arrays, one per array, held weakly: the router drops
 * an array when it re-scores, and its index goes with it.
 */
export class CandidateSets {
  readonly #table: InstanceTable;
  readonly #defaultCapacity: number;
  /** null for an array that lists an id twice: it takes the plain path. */
  readonly #sets = new WeakMap<readonly BalancerCandidate[], CandidateSet | null>();
  #lastList: readonly BalancerCandidate[] | undefined = undefined;
  #lastSet: CandidateSet | null = null;
  #builds = 0;

  constructor(table: InstanceTable, defaultCapacity: number) {
    this.#table = table;
    this.#defaultCapacity = defaultCapacity;
  }

  /**
   * The index of `list`, up to date at `now` (built on first sight, again after a `forget`), or
   * null when `list` is not frozen, is empty or lists an id twice.
   */
  of(list: readonly BalancerCandidate[], now: number): CandidateSet | null {
    let set: CandidateSet | null | undefined;
    if (list === this.#lastList) {
      set = this.#lastSet;
    } else {
      set = this.#sets.get(list);
      if (set === undefined) {
        if (list.length === 0 || !Object.isFrozen(list)) return null;
        set = this.#build(list, now);
      }
      this.#lastList = list;
      this.#lastSet = set;
    }
    if (set === null) return null;
    if (set.generation !== this.#table.generation) {
      set = this.#build(list, now); // an instance was forgotten: map the ids again
      this.#lastSet = set;
      if (set === null) return null;
    }
    this.#table.tick(now);
    set.sync(this.#table, this.#defaultCapacity, now);
    return set;
  }

  #build(list: readonly BalancerCandidate[], now: number): CandidateSet | null {
    const set =
      CandidateSet.build(list, this.#table, this.#defaultCapacity, now, ++this.#builds) ?? null;
    this.#sets.set(list, set);
    return set;
  }
}
