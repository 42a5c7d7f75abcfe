import type { DispatchEvent, LoadBalancingStrategy, StrategyPool } from "../types.js";

/** A pool that keeps what it knows of an instance (its weight, its place) until told it left. */
interface Forgetting {
  forget?(id: string): void;
}

/**
 * A strategy whose state is all in its pools: each capability set gets a new one from `make`,
 * and an instance that left for good is forgotten by every pool that keeps something of it.
 */
export class PooledStrategy<P extends StrategyPool & Forgetting> implements LoadBalancingStrategy {
  readonly name: string;
  readonly #make: () => P;
  readonly #pools: P[] = [];

  constructor(name: string, make: () => P) {
    this.name = name;
    this.#make = make;
  }

  createPool(): P {
    const p = this.#make();
    if (p.forget !== undefined) this.#pools.push(p);
    return p;
  }

  observe(e: DispatchEvent): void {
    if (e.kind === "forget") for (const p of this.#pools) p.forget?.(e.id);
  }
}
