import { ALL_CAPS, parseCaps } from "../../subjects/index.js";
import { Instance } from "./instance.js";
import { Pool } from "./pool.js";
import type { LoadBalancingStrategy } from "./types.js";

/**
 * The balancer's instances by id and its pools by capability set, kept in step: after any change
 * to an instance the balancer calls `sync`, which tells each pool the instance belongs to what
 * changed (counts, the strategy's index). Ranks follow id order; an instance joining makes every
 * pool rebuild once, at the next `pool()` (a burst of joins, as in the router's first snapshot,
 * costs one rebuild). Ejections end with time, which no call announces: `tick` finds them.
 */
export class InstanceTable {
  readonly #byId = new Map<string, Instance>();
  readonly #pools: (Pool | undefined)[] = new Array<Pool | undefined>(ALL_CAPS + 1);
  readonly #poolList: Pool[] = [];
  readonly #strategy: LoadBalancingStrategy;
  readonly #decayMs: number;
  /** An instance was created since ranks were given: pools are rebuilt before their next use. */
  #unranked = false;
  /** Instances inside their ejection time, and the earliest end among them. */
  readonly #ejected = new Set<Instance>();
  #wakeAt = Infinity;

  constructor(strategy: LoadBalancingStrategy, decayMs: number) {
    this.#strategy = strategy;
    this.#decayMs = decayMs;
  }

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): Instance | undefined {
    return this.#byId.get(id);
  }

  values(): IterableIterator<Instance> {
    return this.#byId.values();
  }

  /** The instance of `id`, created (unregistered, closed, empty) on first sight. */
  of(id: string): Instance {
    let s = this.#byId.get(id);
    if (s === undefined) {
      s = new Instance(id, this.#decayMs);
      this.#byId.set(id, s);
      this.#unranked = true;
    }
    return s;
  }

  /** Drops `s` (unregistered first, so that its pools let it go). Its rank stays unused. */
  delete(s: Instance): void {
    s.registered = false;
    s.routable = false;
    this.sync(s);
    this.#ejected.delete(s);
    this.#byId.delete(s.id);
  }

  /** The pool of `required` (validated), made from the instances on first use. */
  pool(required: number): Pool {
    this.#settle();
    let p = this.#pools[required];
    if (p === undefined) {
      p = new Pool(parseCaps(required), this.#strategy.createPool());
      this.#pools[required] = p;
      this.#poolList.push(p);
      for (const s of this.#byId.values()) this.#enter(p, s);
    }
    return p;
  }

  /** `s` entered its ejection time (set or extended). */
  ejected(s: Instance): void {
    this.#ejected.add(s);
    if (s.ejectedUntil! < this.#wakeAt) this.#wakeAt = s.ejectedUntil!;
    this.sync(s);
  }

  /** `s` closed. */
  closed(s: Instance): void {
    this.#ejected.delete(s);
    this.sync(s);
  }

  /** Ends the ejection time of instances whose time is over at `now` (they turn half-open). */
  tick(now: number): void {
    if (now < this.#wakeAt) return;
    let wake = Infinity;
    for (const s of this.#ejected) {
      const until = s.ejectedUntil;
      if (until === undefined || until <= now) {
        s.ejected = false;
        this.#ejected.delete(s);
        this.sync(s);
      } else if (until < wake) {
        wake = until;
      }
    }
    this.#wakeAt = wake;
  }

  /** Tells the pools what changed on `s` since they last saw it. */
  sync(s: Instance): void {
    if (this.#unranked) return; // every pool is rebuilt before its next use
    const seen = s.seen;
    const available = s.available;
    const moved = s.load !== s.seenLoad || s.weight !== s.seenWeight;
    const open = s.ejectedUntil !== undefined;
    if (
      s.capabilities === seen.capabilities &&
      s.registered === seen.registered &&
      s.routable === seen.routable &&
      s.ejected === seen.ejected &&
      open === seen.open &&
      available === seen.available
    ) {
      // The common case (an assignment, a release, a heartbeat): only the load moved.
      if (moved && available) {
        for (const p of this.#poolList) if (p.has(s)) p.index.update?.(s, s.seenLoad);
      }
    } else {
      for (const p of this.#poolList) this.#move(p, s, available, moved);
      seen.capabilities = s.capabilities;
      seen.registered = s.registered;
      seen.routable = s.routable;
      seen.ejected = s.ejected;
      seen.open = open;
      seen.available = available;
    }
    s.seenLoad = s.load;
    s.seenWeight = s.weight;
  }

  #move(p: Pool, s: Instance, available: boolean, moved: boolean): void {
    const seen = s.seen;
    const wasIn = seen.registered && (seen.capabilities & p.required) === p.required;
    const isIn = p.has(s);
    if (wasIn) {
      p.capable--;
      if (seen.routable) p.routable--;
      if (seen.routable && seen.ejected) p.ejected--;
      if (seen.routable && seen.open) p.open--;
    }
    if (isIn) {
      p.capable++;
      if (s.routable) p.routable++;
      if (s.routable && s.ejected) p.ejected++;
      if (s.routable && s.ejectedUntil !== undefined) p.open++;
    }
    if ((wasIn && seen.routable) !== (isIn && s.routable)) p.membersChanged();
    const was = wasIn && seen.available;
    const is = isIn && available;
    if (was && !is) p.index.delete(s);
    else if (is && !was) p.index.add(s);
    else if (is && moved) p.index.update?.(s, s.seenLoad);
  }

  /** Puts `s`, as it is now, into a pool that does not hold it yet. */
  #enter(p: Pool, s: Instance): void {
    if (!p.has(s)) return;
    p.capable++;
    if (s.routable) p.routable++;
    if (s.routable && s.ejected) p.ejected++;
    if (s.routable && s.ejectedUntil !== undefined) p.open++;
    if (s.available) p.index.add(s);
    p.membersChanged();
  }

  /** After joins: ranks in id order, then every pool rebuilt from the instances as they are. */
  #settle(): void {
    if (!this.#unranked) return;
    this.#unranked = false;
    const all = [...this.#byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (let i = 0; i < all.length; i++) all[i]!.rank = i;
    const position = (id: string): number => {
      let lo = 0;
      let hi = all.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (all[mid]!.id < id) lo = mid + 1;
        else hi = mid;
      }
      return all[lo]?.id === id ? lo : lo - 0.5;
    };
    for (const p of this.#poolList) {
      p.index.reset(position);
      p.membersChanged(); // one left unseen may have been its last member
      p.capable = 0;
      p.routable = 0;
      p.ejected = 0;
      p.open = 0;
    }
    for (const s of all) {
      for (const p of this.#poolList) this.#enter(p, s);
      const seen = s.seen;
      seen.capabilities = s.capabilities;
      seen.registered = s.registered;
      seen.routable = s.routable;
      seen.ejected = s.ejected;
      seen.open = s.ejectedUntil !== undefined;
      seen.available = s.available;
      s.seenLoad = s.load;
      s.seenWeight = s.weight;
    }
  }
}
