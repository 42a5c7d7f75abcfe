import type { Rng } from "../../clock.js";
import type { CandidateSet } from "../candidate-set.js";
import { pickIndexed, type IndexedStrategy } from "../indexed.js";
import type {
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyFactory,
  TaskView,
} from "../types.js";

/**
 * Uniform over the candidates (all of which have free capacity), from the injected rng. Through
 * the balancer's index the draw is the same and finds its candidate in O(log n).
 */
export class RandomStrategy implements LoadBalancingStrategy, IndexedStrategy {
  readonly name = "random";
  readonly #rng: Rng;

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  select(c: readonly StrategyCandidate[], _task?: TaskView): StrategyCandidate | undefined {
    const n = c.length;
    if (n <= 1) return c[0];
    const i = Math.floor(this.#rng() * n);
    return c[i < n ? i : n - 1];
  }

  [pickIndexed](set: CandidateSet): number {
    const n = set.takers();
    if (n <= 1) return set.nthTaker(0);
    const i = Math.floor(this.#rng() * n);
    return set.nthTaker(i < n ? i : n - 1);
  }
}

export const createRandom: StrategyFactory = (_opts, deps) => new RandomStrategy(deps.rng);
