import { IndexedHeap, type HeapItem } from "../structures/heap.js";

interface Watched extends HeapItem {
  readonly id: string;
  /** When it is looked at next. */
  checkAt: number;
  /** Its latest sign of life (an answer, a heartbeat), or when it got work after none. */
  heardAt: number;
  /** Silence that earns a probe now; doubles after each probe, back to the first on an answer. */
  after: number;
}

/**
 * Instances with work, by when they are next looked at: one that has work and has not been heard
 * from (no result, no heartbeat, no probe answer) for `afterMs` is due for a probe, then again
 * after twice as long, up to `maxAfterMs`. This is what finds an instance that died with work in
 * about a second, long before its advert's age says anything. Pure; costs O(log n) per instance
 * looked at, nothing for the others.
 */
export class SilentWatch {
  readonly #afterMs: number;
  readonly #maxAfterMs: number;
  /** Every instance that had work, watched or not: one that gets work again reuses its entry. */
  readonly #byId = new Map<string, Watched>();
  readonly #heap = new IndexedHeap<Watched>((a, b) => a.checkAt < b.checkAt);

  constructor(afterMs: number, maxAfterMs: number) {
    this.#afterMs = afterMs;
    this.#maxAfterMs = Math.max(afterMs, maxAfterMs);
  }

  /** Instances watched (with work). */
  get size(): number {
    return this.#heap.size;
  }

  /** `id` was sent work at `now`: watched from now on, unless it is already. */
  working(id: string, now: number): void {
    let w = this.#byId.get(id);
    if (w !== undefined && w.heapIndex >= 0) return;
    if (w === undefined) {
      w = { id, checkAt: 0, heardAt: 0, after: 0, heapIndex: -1 };
      this.#byId.set(id, w);
    }
    w.checkAt = now + this.#afterMs;
    w.heardAt = now;
    w.after = this.#afterMs;
    this.#heap.push(w);
  }

  /** A sign of life from `id` at `now`. */
  heard(id: string, now: number): void {
    const w = this.#byId.get(id);
    if (w === undefined || w.heapIndex < 0) return;
    w.heardAt = now;
    w.after = this.#afterMs;
  }

  /**
   * The instances due for a probe at `now`, at most `max` (the others stay due). Those without
   * work any more are dropped; `may(id)` false (a probe out, a cooldown) looks again next time.
   */
  due(
    now: number,
    max: number,
    hasWork: (id: string) => boolean,
    may: (id: string) => boolean,
  ): string[] {
    const out: string[] = [];
    const later: Watched[] = [];
    for (let w = this.#heap.peek(); w !== undefined && w.checkAt <= now; w = this.#heap.peek()) {
      this.#heap.pop();
      if (!hasWork(w.id)) continue; // watched again when it gets work
      const quietUntil = w.heardAt + w.after;
      if (now < quietUntil) {
        w.checkAt = quietUntil;
      } else if (out.length >= max || !may(w.id)) {
        w.checkAt = now + 1;
      } else {
        out.push(w.id);
        w.after = Math.min(w.after * 2, this.#maxAfterMs);
        w.checkAt = now + w.after;
      }
      later.push(w);
    }
    for (const w of later) this.#heap.push(w);
    return out;
  }

  /** The instance left: its entry goes. */
  forget(id: string): void {
    const w = this.#byId.get(id);
    if (w === undefined) return;
    this.#byId.delete(id);
    if (w.heapIndex >= 0) this.#heap.remove(w);
  }

  clear(): void {
    this.#byId.clear();
    this.#heap.clear();
  }
}
