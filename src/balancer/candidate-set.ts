import { CHANGE_LOG_SIZE } from "./change-log.js";
import type { Instance } from "./instance.js";
import type { InstanceTable } from "./instance-table.js";
import { idBefore } from "./strategies/order.js";
import { CountTree, MinTree } from "./trees.js";
import type { BalancerCandidate, StrategyCandidate } from "./types.js";

/** A bound that every finite load meets (MinTree.first). */
const ANY_LOAD = Number.MAX_VALUE;

/**
 * The balancer's index of one frozen candidate list (the router hands out the same frozen array
 * for a capability set until it re-scores). Built on first sight; afterwards brought up to date
 * from the change log, so a call costs the changes since the list was last used: a release and an
 * assignment in the steady state, not a pass over 1,000 candidates. It holds, per member:
 *
 * - whether a task may go there (`Instance.takes`), by list position, counted (CountTree): the
 *   k-th available member in list order, as the strategies' own lists number them;
 * - the load of the available members by position in id order (MinTree): the least load, and the
 *   first member at or after a place in the rotation at or below a load;
 * - the weight, by list position.
 *
 * Adverts are snapshots: a member's advert is applied again when its instance last applied a
 * different advert object (another list, a heartbeat). An advert changed in place, in a list
 * already indexed, is not seen; the router never does that, it replaces adverts.
 */
export class CandidateSet {
  readonly list: readonly BalancerCandidate[];
  /** Table generation the set was built in; a `forget` since then means building it again. */
  readonly generation: number;
  /** Instances in list order. */
  readonly members: Instance[];
  /** Position in id order → list position. */
  readonly byId: Int32Array;
  /** List position → position in id order. */
  readonly idPos: Int32Array;
  /** Weight per list position (Instance.weight: > 0). */
  readonly weights: Float64Array;
  /** 1 per list position whose member a task may go to (`Instance.takes`), else 0. */
  readonly takes: Uint8Array;
  /** Per-set data of the strategy (weighted-round-robin keeps its slot numbers here). */
  strategyData: unknown = undefined;
  readonly #posOf: Int32Array;
  readonly #loads: MinTree;
  readonly #takers: CountTree;
  #synced: number;
  #version = 0;
  /** Sum of `weights` where `takes`, in list order; NaN when a change calls for summing again. */
  #takerWeight = Number.NaN;
  #hint: Instance | undefined = undefined;
  #hintPos = -1;

  /**
   * Indexes `list`, or returns undefined when an id is listed twice (the balancer then takes the
   * plain path for that list). Creates instances for new ids and applies every advert, as the
   * plain path does on each call.
   */
  static build(
    list: readonly BalancerCandidate[],
    table: InstanceTable,
    defaultCapacity: number,
    now: number,
    mark: number,
  ): CandidateSet | undefined {
    const n = list.length;
    const members: Instance[] = [];
    for (let i = 0; i < n; i++) {
      const c = list[i]!;
      const s = table.of(c.id);
      if (s.mark === mark) return undefined;
      s.mark = mark;
      if (s.advertRef !== c.advert) s.refresh(c.advert, defaultCapacity);
      members.push(s);
    }
    table.rank();
    return new CandidateSet(list, members, table, now);
  }

  private constructor(
    list: readonly BalancerCandidate[],
    members: Instance[],
    table: InstanceTable,
    now: number,
  ) {
    const n = list.length;
    this.list = list;
    this.members = members;
    this.generation = table.generation;
    // Id order from the ranks, which follow id order over every instance: a counting sort.
    const atRank = table.rankScratch();
    for (let i = 0; i < n; i++) atRank[members[i]!.rank!] = i;
    this.byId = new Int32Array(n);
    this.idPos = new Int32Array(n);
    for (let r = 0, k = 0; k < n; r++) {
      const i = atRank[r]!;
      if (i < 0) continue;
      atRank[r] = -1;
      this.byId[k] = i;
      this.idPos[i] = k++;
    }
    this.#posOf = new Int32Array(table.ixLimit).fill(-1);
    for (let i = 0; i < n; i++) this.#posOf[members[i]!.ix] = i;
    this.weights = new Float64Array(n);
    this.takes = new Uint8Array(n);
    this.#loads = new MinTree(n);
    this.#takers = new CountTree(n);
    this.#fill(now);
    this.#synced = table.log.count;
  }

  get size(): number {
    return this.members.length;
  }

  /** Applies the changes logged since the last call, re-reading the members they name. */
  sync(table: InstanceTable, defaultCapacity: number, now: number): void {
    const log = table.log;
    let k = this.#synced;
    while (k < log.count) {
      if (log.count - k > CHANGE_LOG_SIZE) {
        this.#reread(defaultCapacity, now); // too far behind: the entries are gone
        k = log.count;
        break;
      }
      const ix = log.at(k++);
      if (ix >= this.#posOf.length) continue;
      const i = this.#posOf[ix]!;
      if (i < 0) continue;
      const s = this.members[i]!;
      const advert = this.list[i]!.advert;
      if (s.advertRef !== advert) s.refresh(advert, defaultCapacity); // may log it again: fine
      const takes = s.takes(now) ? 1 : 0;
      if (takes !== this.takes[i] || s.weight !== this.weights[i]) {
        this.takes[i] = takes;
        this.weights[i] = s.weight;
        this.#takers.set(i, takes);
        this.#takerWeight = Number.NaN;
        this.#version++;
      }
      this.#loads.set(this.idPos[i]!, takes === 1 ? s.load : Infinity);
    }
    this.#synced = k;
  }

  /**
   * Sum of the weights of the members a task may go to, added in list order (as a strategy adding
   * them up over its list would, to the last bit); summed again only after one of them changed.
   */
  takerWeight(): number {
    let total = this.#takerWeight;
    if (total !== total) {
      total = 0;
      for (let i = 0; i < this.takes.length; i++)
        if (this.takes[i] === 1) total += this.weights[i]!;
      this.#takerWeight = total;
    }
    return total;
  }

  /** Changes whenever `takes` or `weights` change. */
  get version(): number {
    return this.#version;
  }

  /** Members a task may go to. */
  takers(): number {
    return this.#takers.total();
  }

  /** List position of the k-th (from 0) member, in list order, that a task may go to. */
  nthTaker(k: number): number {
    return this.#takers.nth(k);
  }

  /** Least load among the members a task may go to (Infinity when none). */
  leastLoad(): number {
    return this.#loads.min();
  }

  /**
   * Id-order position where a rotation continues after `last`: that of the first member whose id
   * sorts after last's (size when none does; 0 when there is no last pick).
   */
  after(last: StrategyCandidate | undefined): number {
    if (last === undefined) return 0;
    if (last === this.#hint) return this.#hintPos + 1;
    let lo = 0;
    let hi = this.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (idBefore(last, this.members[this.byId[mid]!]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * List position of the first member in id order from `start`, wrapping around, that a task may
   * go to with load at most `maxLoad` (any load when omitted); -1 when there is none. Remembers it
   * for `after`.
   */
  nextFrom(start: number, maxLoad = ANY_LOAD): number {
    let k = this.#loads.first(start, maxLoad);
    if (k < 0) k = this.#loads.first(0, maxLoad);
    if (k < 0) return -1;
    const i = this.byId[k]!;
    this.#hint = this.members[i];
    this.#hintPos = k;
    return i;
  }

  /** Reads every member again (set built, or too far behind the log). */
  #reread(defaultCapacity: number, now: number): void {
    for (let i = 0; i < this.members.length; i++) {
      const s = this.members[i]!;
      const advert = this.list[i]!.advert;
      if (s.advertRef !== advert) s.refresh(advert, defaultCapacity);
    }
    this.#fill(now);
  }

  #fill(now: number): void {
    for (let i = 0; i < this.members.length; i++) {
      const s = this.members[i]!;
      const takes = s.takes(now) ? 1 : 0;
      this.weights[i] = s.weight;
      this.takes[i] = takes;
      this.#takers.put(i, takes);
      this.#loads.put(this.idPos[i]!, takes === 1 ? s.load : Infinity);
    }
    this.#takers.rebuild();
    this.#loads.rebuild();
    this.#takerWeight = Number.NaN;
    this.#version++;
  }
}
