/** What the order needs of a router entry. */
export interface Seen {
  readonly id: string;
  lastSeen: number;
}

/**
 * The router's entries by liveness, so that a sweep costs what it finds, not the fleet's size:
 * routable entries in the order their last advert arrived (oldest first; a Map keeps insertion
 * order, and each advert re-inserts its entry), the unavailable ones apart, and the routable ones
 * whose advert expired in the bucket (a limit marker) before its age says so. Assumes the clock
 * does not go back; if it does, an entry is found late by at most the step.
 */
export class SeenOrder<E extends Seen> {
  readonly #routable = new Map<string, E>();
  readonly #out = new Set<E>();
  readonly #expired = new Set<E>();

  /** Routable entries. */
  get routable(): number {
    return this.#routable.size;
  }

  /** Unavailable entries. */
  get unavailable(): number {
    return this.#out.size;
  }

  /** An advert of `e` was applied at `now`; `routable` is its health after it. */
  seen(e: E, now: number, routable: boolean): void {
    e.lastSeen = now;
    this.#expired.delete(e);
    this.#routable.delete(e.id);
    if (routable) {
      this.#out.delete(e);
      this.#routable.set(e.id, e);
    } else {
      this.#out.add(e);
    }
  }

  /** `e` was taken out of routing (its lastSeen stays). */
  out(e: E): void {
    this.#routable.delete(e.id);
    this.#expired.delete(e);
    this.#out.add(e);
  }

  /** `e` was forgotten. */
  delete(e: E): void {
    this.#routable.delete(e.id);
    this.#expired.delete(e);
    this.#out.delete(e);
  }

  /** The bucket said `e`'s advert expired: it is overdue whatever its age, until its next advert. */
  expire(e: E): boolean {
    if (!this.#routable.has(e.id)) return false;
    this.#expired.add(e);
    return true;
  }

  /** Routable entries silent for more than `ageMs` at `now`, or expired, oldest first. */
  overdue(now: number, ageMs: number): E[] {
    const out: E[] = [];
    for (const e of this.#routable.values()) {
      if (now - e.lastSeen <= ageMs) break;
      out.push(e);
    }
    for (const e of this.#expired) if (now - e.lastSeen <= ageMs) out.push(e);
    return out;
  }

  /** Routable entries whose age at `now` is in (fromMs, toMs]. */
  silentBetween(now: number, fromMs: number, toMs: number): E[] {
    const out: E[] = [];
    for (const e of this.#routable.values()) {
      const age = now - e.lastSeen;
      if (age <= fromMs) break;
      if (age <= toMs) out.push(e);
    }
    return out;
  }

  /** Unavailable entries silent for more than `ageMs` at `now`. */
  silentOut(now: number, ageMs: number): E[] {
    const out: E[] = [];
    for (const e of this.#out) if (now - e.lastSeen > ageMs) out.push(e);
    return out;
  }
}
