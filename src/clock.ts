/** Time source injected into every core; cores never read the wall clock themselves. */
export interface Clock {
  now(): number;
}

/** Random source in [0, 1), injected into cores that choose at random. */
export type Rng = () => number;

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told: for tests and simulations. */
export class ManualClock implements Clock {
  #t: number;
  constructor(start = 1_700_000_000_000) {
    this.#t = start;
  }
  now(): number {
    return this.#t;
  }
  advance(ms: number): number {
    this.#t += ms;
    return this.#t;
  }
  set(t: number): void {
    this.#t = t;
  }
}

/** Deterministic rng (mulberry32): same seed, same sequence. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Deps {
  clock: Clock;
  rng: Rng;
}

export function defaultDeps(partial: Partial<Deps> = {}): Deps {
  return { clock: partial.clock ?? systemClock, rng: partial.rng ?? Math.random };
}
