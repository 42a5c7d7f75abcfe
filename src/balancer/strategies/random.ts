import type { Rng } from "../../clock.js";
import { MemberArray } from "../member-array.js";
import type { StrategyCandidate, StrategyPool, TaskView } from "../types.js";
import { ForgettingStrategy } from "./pooled.js";

/**
 * Uniform over the members not excluded, from the injected rng. O(1) per pick. The members are an
 * array with swap-remove (joins, departures and `forget` are MemberArray's own).
 */
export class RandomPool extends MemberArray<StrategyCandidate> implements StrategyPool {
  readonly #rng: Rng;

  constructor(rng: Rng) {
    super();
    this.#rng = rng;
  }

  reset(): void {
    this.clear();
  }

  select(_task: TaskView, exclude?: ReadonlySet<string>): StrategyCandidate | undefined {
    const skip = this.excluded(exclude);
    const n = this.size - skip.length;
    if (n <= 0) return undefined;
    if (n === 1) return this.nth(0, skip);
    const i = Math.floor(this.#rng() * n);
    return this.nth(i < n ? i : n - 1, skip);
  }
}

export class RandomStrategy extends ForgettingStrategy<RandomPool> {
  constructor(rng: Rng) {
    super("random", () => new RandomPool(rng));
  }
}
