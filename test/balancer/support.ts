import type {
  InstanceAdvert,
  LoadBalancer,
  LoadBalancingStrategy,
  StrategyCandidate,
  StrategyPool,
  TaskView,
} from "../../src/balancer/index.js";
import type { CollectorHealth } from "../../subjects/index.js";

export interface AdvertOpts {
  max?: number;
  inFlight?: number;
  weight?: number;
  seq?: number;
  caps?: number;
}

/** An advert as the router hands it over (capabilities 0 serve every task needing nothing). */
export function advert(opts: AdvertOpts = {}): InstanceAdvert {
  return {
    capabilities: opts.caps ?? 0,
    maxConcurrency: opts.max ?? 10,
    inFlight: opts.inFlight ?? 0,
    ...(opts.weight !== undefined ? { weight: opts.weight } : {}),
    ...(opts.seq !== undefined ? { heartbeatSeq: opts.seq } : {}),
  };
}

/** The router says `id` joined (or changed), healthy unless told otherwise. */
export function join(
  lb: LoadBalancer,
  id: string,
  opts: AdvertOpts = {},
  health: CollectorHealth = "healthy",
): void {
  lb.apply({ kind: "joined", id, health, advert: advert(opts) });
}

/** The router applied a heartbeat of `id`. */
export function beat(lb: LoadBalancer, id: string, opts: AdvertOpts = {}): void {
  lb.apply({ kind: "heartbeat", id, health: "healthy", advert: advert(opts) });
}

export function leave(lb: LoadBalancer, id: string): void {
  lb.apply({ kind: "left", id, health: "unavailable" });
}

/** `n` tasks placed one after the other (each released unless `keep`), the ids picked. */
export function picks(lb: LoadBalancer, n: number, opts: { keep?: boolean } = {}): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = lb.selectCollector(0, `p${i}`);
    out.push(id ?? "-");
    if (id !== undefined && opts.keep !== true) lb.release(id, `p${i}`);
  }
  return out;
}

/** A strategy candidate with mutable load, for feeding strategies directly. */
export interface MutableCandidate extends StrategyCandidate {
  rank: number;
  load: number;
  weight: number;
  latencyMs: number | undefined;
}

export function sc(
  id: string,
  opts: { load?: number; capacity?: number; weight?: number; latencyMs?: number } = {},
): MutableCandidate {
  return {
    id,
    rank: -1,
    load: opts.load ?? 0,
    capacity: opts.capacity ?? 10,
    weight: opts.weight ?? 1,
    latencyMs: opts.latencyMs,
  };
}

/**
 * Drives one strategy pool as the balancer does: `offer(list)` makes the pool hold exactly
 * `list` (adding in list order, deleting), ranking candidates by id and resetting the pool when a new id
 * comes (its rank is then given like the balancer's).
 */
export class Driver {
  readonly pool: StrategyPool;
  readonly #known = new Map<string, MutableCandidate>();
  readonly #in = new Set<MutableCandidate>();

  constructor(strategy: LoadBalancingStrategy) {
    this.pool = strategy.createPool();
  }

  offer(list: readonly MutableCandidate[]): void {
    let fresh = false;
    for (const c of list) {
      if (this.#known.get(c.id) !== c) {
        this.#known.set(c.id, c);
        fresh = true;
      }
    }
    if (fresh) {
      const all = [...this.#known.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      all.forEach((c, i) => (c.rank = i));
      this.pool.reset((id) => {
        const i = all.findIndex((c) => c.id >= id);
        const at = i < 0 ? all.length : i;
        return all[at]?.id === id ? at : at - 0.5;
      });
      this.#in.clear();
    }
    const want = new Set(list);
    for (const c of [...this.#in]) {
      if (!want.has(c)) {
        this.pool.delete(c);
        this.#in.delete(c);
      }
    }
    for (const c of list) {
      if (!this.#in.has(c)) {
        this.pool.add(c);
        this.#in.add(c);
      }
    }
  }

  /** Sets a member's load, telling the pool. */
  setLoad(c: MutableCandidate, load: number): void {
    const before = c.load;
    c.load = load;
    if (this.#in.has(c)) this.pool.update?.(c, before);
  }

  select(task: TaskView = at(0), exclude?: ReadonlySet<string>): StrategyCandidate | undefined {
    return this.pool.select(task, exclude);
  }

  /** offer(list), then select. */
  pick(list: readonly MutableCandidate[], task: TaskView = at(0)): StrategyCandidate | undefined {
    this.offer(list);
    return this.select(task);
  }
}

/** A task at time `now`. */
export function at(now: number): TaskView {
  return { required: 0, taskId: undefined, now };
}

export function count(ids: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = (out[id] ?? 0) + 1;
  return out;
}

/** Longest run of one id in a sequence, per id. */
export function longestRuns(ids: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  let run = 0;
  for (let i = 0; i < ids.length; i++) {
    run = i > 0 && ids[i] === ids[i - 1] ? run + 1 : 1;
    const id = ids[i]!;
    if (run > (out[id] ?? 0)) out[id] = run;
  }
  return out;
}
