import type { CandidateSet } from "../candidate-set.js";
import { pickIndexed, type IndexedStrategy } from "../indexed.js";
import { idBefore } from "./order.js";
import type {
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyFactory,
  TaskView,
} from "../types.js";

/**
 * True rotation: each pick is the candidate whose id follows the last picked id in sorted order
 * (wrapping to the smallest). Rotating by id rather than by an index into the array keeps the
 * order when instances join, leave, fill up or arrive in another order. One pass, no allocation;
 * O(log n) through the balancer's index (`[pickIndexed]`).
 */
export class RoundRobinStrategy implements LoadBalancingStrategy, IndexedStrategy {
  readonly name = "round-robin";
  #last: StrategyCandidate | undefined = undefined;

  select(c: readonly StrategyCandidate[], _task?: TaskView): StrategyCandidate | undefined {
    const last = this.#last;
    let next: StrategyCandidate | undefined; // smallest id after the last pick
    let first: StrategyCandidate | undefined; // smallest id, needed only when there is no next
    for (let i = 0; i < c.length; i++) {
      const x = c[i]!;
      if (last !== undefined && idBefore(last, x)) {
        if (next === undefined || idBefore(x, next)) next = x;
      } else if (next === undefined && (first === undefined || idBefore(x, first))) {
        first = x;
      }
    }
    const pick = next ?? first;
    if (pick !== undefined) this.#last = pick;
    return pick;
  }

  /** The first available member in id order after the last pick, wrapping: `select`'s pick. */
  [pickIndexed](set: CandidateSet): number {
    const i = set.nextFrom(set.after(this.#last));
    if (i >= 0) this.#last = set.members[i];
    return i;
  }
}

export const createRoundRobin: StrategyFactory = () => new RoundRobinStrategy();
