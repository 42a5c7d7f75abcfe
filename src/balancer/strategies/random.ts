import type { Rng } from "../../clock.js";
import { MemberArray } from "../member-array.js";
import type {
  DispatchEvent,
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyFactory,
  StrategyPool,
  TaskView,
} from "../types.js";

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

export class RandomStrategy implements LoadBalancingStrategy {
  readonly name = "random";
  readonly #rng: Rng;
  readonly #pools: RandomPool[] = [];

  constructor(rng: Rng) {
    this.#rng = rng;
  }

  createPool(): StrategyPool {
    const p = new RandomPool(this.#rng);
    this.#pools.push(p);
    return p;
  }

  observe(e: DispatchEvent): void {
    if (e.kind === "forget") for (const p of this.#pools) p.forget(e.id);
  }
}

export const createRandom: StrategyFactory = (_opts, deps) => new RandomStrategy(deps.rng);
