import type { DispatchEvent, LoadBalancingStrategy, StrategyPool } from "../types.js";

/** A pool that keeps what it knows of an instance (its weight, its place) until told it left. */
export interface ForgettingPool extends StrategyPool {
  forget(id: string): void;
}

/** A strategy whose state is all in its pools: each capability set gets a new one from `make`. */
export class PooledStrategy<P extends StrategyPool> implements LoadBalancingStrategy {
  readonly name: string;
  readonly #make: () => P;

  constructor(name: string, make: () => P) {
    this.name = name;
    this.#make = make;
  }

  createPool(): P {
    return this.#make();
  }
}

/** A pooled strategy whose pools keep something of an instance: it tells them when one left. */
export class ForgettingStrategy<P extends ForgettingPool> extends PooledStrategy<P> {
  readonly #pools: P[] = [];

  override createPool(): P {
    const p = super.createPool();
    this.#pools.push(p);
    return p;
  }

  observe(e: DispatchEvent): void {
    if (e.kind === "forget") for (const p of this.#pools) p.forget(e.id);
  }
}
