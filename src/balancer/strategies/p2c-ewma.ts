import type { Rng } from "../../clock.js";
import { InvalidArgumentError } from "../../errors.js";
import { PeakEwma } from "../ewma.js";
import { MemberArray } from "../member-array.js";
import { DEFAULT_EWMA_DECAY_MS, DEFAULT_EWMA_DEFAULT_LATENCY_MS } from "../options.js";
import type {
  DispatchEvent,
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyFactory,
  StrategyOptions,
  StrategyPool,
  TaskView,
} from "../types.js";

/** 1 µs: below this, estimates count as equal and load decides. */
const MIN_LATENCY_MS = 0.001;

export interface P2cEwmaOptions {
  /** Time constant of the latency EWMA (ms). */
  decayMs: number;
  /** Latency assumed before an instance's first completion (ms). */
  defaultLatencyMs: number;
}

/**
 * Power of two choices over peak-EWMA latency, as Linkerd and Finagle do: two distinct members
 * drawn with the injected rng, the one with the lower `latency × (in-flight + 1)` wins, ties by
 * id. Latency comes from `observe()` (the balancer forwards `recordSuccess`); the estimate decays
 * with the time of the events and of the task (the injected clock), so an instance that was slow
 * and has been idle for a while is tried again. O(1) per pick apart from two map lookups.
 */
export class P2cEwmaStrategy implements LoadBalancingStrategy {
  readonly name = "p2c-ewma";
  readonly #rng: Rng;
  readonly #decayMs: number;
  readonly #defaultLatencyMs: number;
  readonly #latency = new Map<string, PeakEwma>();
  readonly #pools: MemberArray<StrategyCandidate>[] = [];

  constructor(rng: Rng, opts: Partial<P2cEwmaOptions> = {}) {
    this.#rng = rng;
    this.#decayMs = opts.decayMs ?? DEFAULT_EWMA_DECAY_MS;
    this.#defaultLatencyMs = opts.defaultLatencyMs ?? DEFAULT_EWMA_DEFAULT_LATENCY_MS;
    if (!(this.#decayMs > 0 && Number.isFinite(this.#decayMs))) {
      throw new InvalidArgumentError("decayMs", "must be a finite number > 0");
    }
    if (!(this.#defaultLatencyMs > 0 && Number.isFinite(this.#defaultLatencyMs))) {
      throw new InvalidArgumentError("defaultLatencyMs", "must be a finite number > 0");
    }
  }

  createPool(): StrategyPool {
    const members = new MemberArray<StrategyCandidate>();
    this.#pools.push(members);
    return {
      get size() {
        return members.size;
      },
      add: (c) => members.add(c),
      delete: (c) => members.delete(c),
      reset: () => members.clear(),
      select: (task, exclude) => this.#pick(members, task, exclude),
    };
  }

  #pick(
    members: MemberArray<StrategyCandidate>,
    task: TaskView,
    exclude: ReadonlySet<string> | undefined,
  ): StrategyCandidate | undefined {
    const skip = members.excluded(exclude);
    const n = members.size - skip.length;
    if (n <= 0) return undefined;
    if (n === 1) return members.nth(0, skip);
    let i = Math.floor(this.#rng() * n);
    if (i >= n) i = n - 1;
    let j = Math.floor(this.#rng() * (n - 1));
    if (j >= n - 1) j = n - 2;
    if (j >= i) j++;
    const a = members.nth(i, skip);
    const b = members.nth(j, skip);
    const ca = this.cost(a, task.now);
    const cb = this.cost(b, task.now);
    if (ca < cb) return a;
    if (cb < ca) return b;
    return b.id < a.id ? b : a;
  }

  /** `latency estimate × (load + 1)` of a candidate at `now`. */
  cost(c: StrategyCandidate, now: number): number {
    const e = this.#latency.get(c.id);
    const latency = e === undefined ? this.#defaultLatencyMs : e.at(now, this.#defaultLatencyMs);
    // A floor keeps load in the comparison when estimates are 0 (sub-millisecond tasks).
    return (latency > MIN_LATENCY_MS ? latency : MIN_LATENCY_MS) * (c.load + 1);
  }

  observe(e: DispatchEvent): void {
    if (e.kind === "success") {
      let est = this.#latency.get(e.id);
      if (est === undefined) {
        est = new PeakEwma(this.#decayMs);
        this.#latency.set(e.id, est);
      }
      est.observe(e.latencyMs, e.at);
    } else if (e.kind === "forget") {
      this.#latency.delete(e.id);
      for (const p of this.#pools) p.forget(e.id);
    }
  }
}

export const createP2cEwma: StrategyFactory = (opts: StrategyOptions, deps) =>
  new P2cEwmaStrategy(deps.rng, {
    decayMs: num(opts, "decayMs"),
    defaultLatencyMs: num(opts, "defaultLatencyMs"),
  });

function num(opts: StrategyOptions, key: string): number | undefined {
  const v = opts[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number") throw new InvalidArgumentError(key, "must be a number");
  return v;
}
