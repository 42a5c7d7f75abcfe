import { RankSet } from "../rank-set.js";
import type { StrategyCandidate, StrategyPool, TaskView } from "../types.js";
import { PooledStrategy } from "./pooled.js";

/**
 * True rotation: each pick is the member whose id follows the last picked id in sorted order
 * (wrapping to the smallest). Rotating by id rather than by an index into a list keeps the order
 * when instances join, leave, fill up or arrive in another order. The pool is the sorted ids (as
 * ranks, in a bitset) and a cursor; a pick costs a scan of 32-bit words, joins and departures O(1).
 */
export class RoundRobinPool extends RankSet<StrategyCandidate> implements StrategyPool {
  /** Rank of the last pick (fractional when it sorts between the current ranks). */
  #at = -1;
  #lastId: string | undefined = undefined;

  reset(position: (id: string) => number): void {
    this.clear();
    if (this.#lastId !== undefined) this.#at = position(this.#lastId);
  }

  select(_task: TaskView, exclude?: ReadonlySet<string>): StrategyCandidate | undefined {
    const pick = this.nextNotIn(this.#at, exclude);
    if (pick !== undefined) {
      this.#at = pick.rank;
      this.#lastId = pick.id;
    }
    return pick;
  }
}

export class RoundRobinStrategy extends PooledStrategy<RoundRobinPool> {
  constructor() {
    super("round-robin", () => new RoundRobinPool());
  }
}
