import type { Rng } from "../../clock.js";
import type {
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyFactory,
  TaskView,
} from "../types.js";

/** Uniform over the candidates (all of which have free capacity), from the injected rng. */
export class RandomStrategy implements LoadBalancingStrategy {
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
}

export const createRandom: StrategyFactory = (_opts, deps) => new RandomStrategy(deps.rng);
