import { hasCaps } from "../../subjects/index.js";
import type { Candidate, RoutingDecision } from "./types.js";

/** How long a scored list is reused: confidence moves with heartbeat age by at most this. */
export const ROUTE_CACHE_MS = 100;

/** A capability set's routable candidates, scored at `at`, best first. */
export interface Scored {
  readonly at: number;
  /** Changed in place by heartbeats until handed out (`shared`), then copied on change. */
  candidates: Candidate[];
  shared: boolean;
  /** Registered collectors that advertise the set, in any health. */
  readonly capable: number;
  /** The routeTask answer, made on first ask (undefined until then, and when its best changes). */
  decision: RoutingDecision | undefined;
}

/**
 * Scores of the router's lookups, reused for up to ROUTE_CACHE_MS: confidence depends on heartbeat
 * age, which moves with the clock (by 100 ms in a 30 s timeout: 0.3 %), so a list older than that
 * is scored again. A heartbeat re-places its one collector, scored afresh, in the lists it is in;
 * any other change (a join, a departure, health, capabilities, capacity) drops them all.
 */
export class RouteCache {
  readonly #byMask = new Map<number, Scored>();

  get(mask: number, now: number): Scored | undefined {
    const s = this.#byMask.get(mask);
    return s !== undefined && now - s.at < ROUTE_CACHE_MS && now >= s.at ? s : undefined;
  }

  /** The routeTask answer of a list that can be reused at `now`, when it has one. */
  decision(mask: number, now: number): RoutingDecision | undefined {
    const s = this.#byMask.get(mask);
    return s !== undefined && now - s.at < ROUTE_CACHE_MS && now >= s.at ? s.decision : undefined;
  }

  set(mask: number, s: Scored): void {
    this.#byMask.set(mask, s);
  }

  clear(): void {
    this.#byMask.clear();
  }

  /** Lists held (reusable or not yet dropped). */
  get size(): number {
    return this.#byMask.size;
  }

  /**
   * A heartbeat at `now`: `fresh` (scored then) takes its collector's place in each list holding
   * it. Lists too old to be reused are dropped rather than kept up to date: with nobody routing,
   * a fleet's heartbeats cost nothing here.
   */
  beat(
    caps: number,
    fresh: Candidate,
    order: (a: Candidate, b: Candidate) => number,
    now: number,
  ): void {
    for (const [mask, s] of this.#byMask) {
      if (!(now - s.at < ROUTE_CACHE_MS && now >= s.at)) {
        this.#byMask.delete(mask);
        continue;
      }
      if (!hasCaps(caps, mask)) continue;
      const held = s.candidates;
      let i = 0;
      while (i < held.length && held[i]!.id !== fresh.id) i++;
      if (i === held.length) continue; // Unavailable, and a heartbeat of the same health keeps it so
      const best = held[0];
      const list = s.shared ? held.slice() : held;
      list.splice(i, 1);
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (order(list[mid]!, fresh) <= 0) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, fresh);
      s.candidates = list;
      s.shared = false;
      // The answer stands while its best does: its fallbacks are read from the list when asked.
      if (list[0] !== best) s.decision = undefined;
    }
  }
}
