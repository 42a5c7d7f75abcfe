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
 * Fewest effective in-flight tasks wins. Among equally loaded candidates the pick rotates by id
 * (the first id after the last pick, wrapping), so ties spread instead of always landing on the
 * first of the list. One pass, no allocation; O(log n) through the balancer's index
 * (`[pickIndexed]`).
 */
export class LeastConnectionsStrategy implements LoadBalancingStrategy, IndexedStrategy {
  readonly name = "least-connections";
  #last: StrategyCandidate | undefined = undefined;

  select(c: readonly StrategyCandidate[], _task?: TaskView): StrategyCandidate | undefined {
    const last = this.#last;
    let min = Infinity;
    let next: StrategyCandidate | undefined; // least loaded, smallest id after the last pick
    let first: StrategyCandidate | undefined; // least loaded, smallest id
    for (let i = 0; i < c.length; i++) {
      const x = c[i]!;
      const load = x.load;
      if (load > min) continue;
      if (load < min) {
        min = load;
        next = undefined;
        first = undefined;
      }
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

  /** Among the least loaded, the first in id order after the last pick, wrapping: `select`'s. */
  [pickIndexed](set: CandidateSet): number {
    const i = set.nextFrom(set.after(this.#last), set.leastLoad());
    if (i >= 0) this.#last = set.members[i];
    return i;
  }
}

export const createLeastConnections: StrategyFactory = () => new LeastConnectionsStrategy();
