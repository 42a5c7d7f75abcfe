import type { Rng } from "../../clock.js";
import { MemberArray } from "../member-array.js";
import type { StrategyCandidate, StrategyPool, TaskView } from "../types.js";
import { PooledStrategy } from "./pooled.js";

/** Uniform over the members not excluded, from the injected rng. O(1) per pick. */
export class RandomPool implements StrategyPool {
  readonly #members = new MemberArray<StrategyCandidate>();
  readonly #rng: Rng;

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  get size(): number {
    return this.#members.size;
  }

  add(c: StrategyCandidate): void {
    this.#members.add(c);
  }

  delete(c: StrategyCandidate): void {
    this.#members.delete(c);
  }

  reset(): void {
    this.#members.clear();
  }

  /** The instance left for good. */
  forget(id: string): void {
    this.#members.forget(id);
  }

  select(_task: TaskView, exclude?: ReadonlySet<string>): StrategyCandidate | undefined {
    const skip = this.#members.excluded(exclude);
    const n = this.#members.size - skip.length;
    if (n <= 0) return undefined;
    if (n === 1) return this.#members.nth(0, skip);
    const i = Math.floor(this.#rng() * n);
    return this.#members.nth(i < n ? i : n - 1, skip);
  }
}

export class RandomStrategy extends PooledStrategy<RandomPool> {
  constructor(rng: Rng) {
    super("random", () => new RandomPool(rng));
  }
}
