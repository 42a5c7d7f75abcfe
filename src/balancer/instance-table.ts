import { ChangeLog } from "./change-log.js";
import { Instance } from "./instance.js";

/**
 * The balancer's instances by id, with what its candidate sets need to stay exact: a small number
 * per instance (`ix`, reused after `delete`), ranks in id order, the change log, a generation that
 * `delete` bumps (sets built before it map ids afresh), and the instances not closed, whose
 * ejection ending with time changes where a task may go without any call saying so.
 */
export class InstanceTable {
  readonly log = new ChangeLog();
  readonly #byId = new Map<string, Instance>();
  readonly #decayMs: number;
  readonly #freeIx: number[] = [];
  #nextIx = 0;
  #unranked = false;
  #rankLimit = 0;
  #rankScratch = new Int32Array(0);
  /** Bumped by `delete`. */
  generation = 0;
  /** Instances with an ejection time set (ejected or half-open). */
  readonly #unsettled = new Set<Instance>();
  /** Earliest ejection end after the last tick. */
  #wakeAt = Infinity;
  #tickedAt = -Infinity;

  constructor(decayMs: number) {
    this.#decayMs = decayMs;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** One past the greatest `ix` in use. */
  get ixLimit(): number {
    return this.#nextIx;
  }

  get(id: string): Instance | undefined {
    return this.#byId.get(id);
  }

  values(): IterableIterator<Instance> {
    return this.#byId.values();
  }

  /** The instance of `id`, created (closed, empty) on first sight. */
  of(id: string): Instance {
    let s = this.#byId.get(id);
    if (s === undefined) {
      const ix = this.#freeIx.length > 0 ? this.#freeIx.pop()! : this.#nextIx++;
      s = new Instance(id, this.#decayMs, ix, this.log);
      this.#byId.set(id, s);
      this.#unranked = true;
    }
    return s;
  }

  delete(id: string): Instance | undefined {
    const s = this.#byId.get(id);
    if (s === undefined) return undefined;
    this.#byId.delete(id);
    this.#unsettled.delete(s);
    this.#freeIx.push(s.ix);
    s.rank = undefined; // a strategy may still hold it: compare it by id from now on
    this.generation++;
    return s;
  }

  /**
   * Numbers every instance in id order, if instances joined since the last time. `delete` leaves
   * a gap: ranks compare right all the same.
   */
  rank(): void {
    if (!this.#unranked) return;
    const all = [...this.#byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (let i = 0; i < all.length; i++) all[i]!.rank = i;
    this.#rankLimit = all.length;
    this.#unranked = false;
  }

  /** An array of -1 by rank, for a counting sort that puts every entry it uses back to -1. */
  rankScratch(): Int32Array {
    if (this.#rankScratch.length < this.#rankLimit) {
      this.#rankScratch = new Int32Array(this.#rankLimit).fill(-1);
    }
    return this.#rankScratch;
  }

  /** `s` was just ejected (its ejection time set or extended). */
  ejected(s: Instance): void {
    this.#unsettled.add(s);
    const until = s.ejectedUntil!;
    if (until < this.#wakeAt) this.#wakeAt = until;
  }

  /** `s` closed. */
  closed(s: Instance): void {
    this.#unsettled.delete(s);
  }

  /** True when every instance is closed: no ejection decides anything. */
  get settled(): boolean {
    return this.#unsettled.size === 0;
  }

  /**
   * Logs the instances whose ejection ended (or, if the clock went back, resumed) between the last
   * tick and `now`, so that candidate sets re-read them. Called before a set is brought up to date.
   */
  tick(now: number): void {
    const before = this.#tickedAt;
    this.#tickedAt = now;
    if (this.#unsettled.size === 0 || (now >= before && now < this.#wakeAt)) return;
    let wake = Infinity;
    for (const s of this.#unsettled) {
      const until = s.ejectedUntil!;
      if (until > before !== until > now) this.log.push(s.ix);
      if (until > now && until < wake) wake = until;
    }
    this.#wakeAt = wake;
  }
}
