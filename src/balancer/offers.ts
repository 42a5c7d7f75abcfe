import type { CandidateSet } from "./candidate-set.js";
import type { Instance } from "./instance.js";
import type { InstanceTable } from "./instance-table.js";
import type { BalancerCandidate } from "./types.js";

type Memo = (Instance | undefined)[];

/** Capability sets whose candidate memo is kept (every combination of the 7 flags). */
const MAX_MEMOS = 128;

/**
 * The instances one selectCollector call offers its strategy, in the caller's order: closed, or
 * half-open with nothing assigned, and below capacity. When every candidate is inside its
 * ejection time (the others left), each that is idle and below capacity instead (the panic path).
 * Each offered instance carries its position in the caller's list (`slot`) and the call's number
 * (`offeredIn`). The array is scratch, reused by the next call.
 */
export class Offers {
  readonly #table: InstanceTable;
  readonly #defaultCapacity: number;
  readonly #offered: Instance[] = [];
  readonly #memos = new Map<number, Memo>();

  constructor(table: InstanceTable, defaultCapacity: number) {
    this.#table = table;
    this.#defaultCapacity = defaultCapacity;
  }

  /** From any list: one pass that applies every candidate's advert (the plain path). */
  fromList(
    candidates: readonly BalancerCandidate[],
    required: number,
    now: number,
    call: number,
  ): Instance[] {
    const offered = this.#offered;
    const cap = this.#defaultCapacity;
    let n = 0; // offered[0..n) this call; no `length = 0`, which would drop the backing store
    let usable = 0; // closed or half-open candidates
    let open = 0; // candidates still inside their ejection time
    const to = this.#memo(required);
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      let s = to[i];
      if (s === undefined || s.source !== c) {
        s = this.#table.of(c.id);
        s.source = c;
        to[i] = s;
      }
      s.refresh(c.advert, cap);
      const until = s.ejectedUntil;
      if (until !== undefined) {
        if (until > now) {
          open++;
          continue;
        }
        usable++;
        if (s.assigned > 0) continue; // half-open: one task at a time
      } else {
        usable++;
      }
      if (s.load >= s.capacity) continue;
      s.slot = i; // Smi writes: no write barrier, unlike keeping the candidate itself
      s.offeredIn = call;
      offered[n++] = s;
    }
    if (offered.length !== n) offered.length = n;
    if (usable === 0 && open > 0) this.#offerEjected(candidates, now, call);
    return offered;
  }

  /** From the index of a frozen list, up to date: the same instances, without reading adverts. */
  fromSet(
    set: CandidateSet,
    candidates: readonly BalancerCandidate[],
    now: number,
    call: number,
  ): Instance[] {
    const offered = this.#offered;
    let n = 0;
    for (let i = 0; i < set.size; i++) {
      if (set.takes[i] === 0) continue;
      const s = set.members[i]!;
      s.slot = i;
      s.offeredIn = call;
      offered[n++] = s;
    }
    if (offered.length !== n) offered.length = n;
    if (
      n === 0 &&
      !set.members.some((s) => s.ejectedUntil === undefined || s.ejectedUntil <= now)
    ) {
      this.#offerEjected(candidates, now, call);
    }
    return offered;
  }

  /** Forgets which instance sat where (an instance was dropped). */
  clearMemos(): void {
    this.#memos.clear();
  }

  /**
   * Candidate object → instance, by position, per `required`. The router hands out the same list
   * (same objects, same order) for a capability set until it changes, so this spares a map lookup
   * per candidate per call; a changed position simply falls back to the map.
   */
  #memo(required: number): Memo {
    let m = this.#memos.get(required);
    if (m === undefined) {
      if (this.#memos.size >= MAX_MEMOS) this.#memos.clear();
      m = [];
      this.#memos.set(required, m);
    }
    return m;
  }

  /** Panic path: every candidate is ejected, so each may take one task (as half-open). */
  #offerEjected(candidates: readonly BalancerCandidate[], now: number, call: number): void {
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      const s = this.#table.get(c.id)!;
      if (s.ejectedUntil === undefined || s.ejectedUntil <= now) continue;
      if (s.assigned > 0 || s.load >= s.capacity) continue;
      s.slot = i;
      s.offeredIn = call;
      this.#offered.push(s);
    }
  }
}
