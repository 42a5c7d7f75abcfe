import type { ChangeLog } from "./change-log.js";
import { PeakEwma } from "./ewma.js";
import { TaskList } from "./task-list.js";
import {
  BreakerState,
  type BalancerCandidate,
  type InstanceStats,
  type StrategyCandidate,
} from "./types.js";

/** Longest doubling exponent; past it the ejection is at its cap anyway. */
const MAX_BACKOFF_LEVEL = 30;

/**
 * The balancer's state of one instance. It is also what strategies receive as a candidate, so the
 * hot path allocates nothing per call: `refresh` rewrites the advert-derived fields in place.
 * Every change of load, capacity or breaker state is pushed to the balancer's change log, from
 * which candidate sets update their indexes.
 */
export class Instance implements StrategyCandidate {
  readonly id: string;
  /** Small number, unique among the balancer's live instances: the change log's entry. */
  readonly ix: number;
  readonly #log: ChangeLog;
  // StrategyCandidate view
  load = 0;
  capacity = 1;
  weight = 1;
  rank: number | undefined = undefined;
  get latencyMs(): number | undefined {
    return this.latency.value;
  }

  // The advert fields as last read, to skip unchanged adverts.
  #max = Number.NaN;
  #weight: number | undefined = Number.NaN;
  #inFlight = Number.NaN;
  /** In-flight reported by the instance's last advert seen. */
  advertInFlight = 0;
  /** The advert object last given to `refresh`. */
  advertRef: BalancerCandidate["advert"] | undefined = undefined;
  /** Heartbeat of that advert; undefined when adverts carry none. */
  advertSeq: number | undefined = undefined;
  /** Other coordinators' tasks on the instance, estimated when its advert was first seen. */
  others = 0;
  /** Task ids this balancer assigned here, in assignment order. */
  readonly tasks = new TaskList();
  /** Assignments made without a task id. */
  anonymous = 0;
  /** Own assignments in flight: tasks.size + anonymous, kept as a field for the hot path. */
  assigned = 0;

  failures = 0;
  consecutiveFailures = 0;
  lastFailure: string | undefined = undefined;
  ejections = 0;
  /** undefined: closed. Otherwise ejected until then, half-open after. */
  ejectedUntil: number | undefined = undefined;
  /** A task was assigned while not closed: its outcome decides the breaker. */
  probing = false;
  /** Doubling exponent of the next ejection. */
  backoffLevel = 0;
  closedAt: number | undefined = undefined;
  readonly latency: PeakEwma;

  /** Position in the caller's candidate list, and the selectCollector call that offered it. */
  slot = -1;
  offeredIn = -1;
  /** The caller's candidate object last seen for this instance (see the balancer's memo). */
  source: BalancerCandidate | undefined = undefined;
  /** Set by a candidate set being built, to find ids listed twice. */
  mark = 0;

  constructor(id: string, decayMs: number, ix: number, log: ChangeLog) {
    this.id = id;
    this.ix = ix;
    this.#log = log;
    this.latency = new PeakEwma(decayMs);
  }

  /** Takes capacity, weight and advertised in-flight from the candidate's advert. */
  refresh(advert: BalancerCandidate["advert"], defaultCapacity: number): void {
    this.advertRef = advert;
    const max = advert.maxConcurrency;
    const w = advert.weight;
    const inFlight = advert.inFlight;
    const seq = advert.heartbeatSeq;
    // The common case on the hot path: the same advert as last time, nothing to recompute.
    if (
      max === this.#max &&
      w === this.#weight &&
      inFlight === this.#inFlight &&
      seq === this.advertSeq
    ) {
      return;
    }
    this.#max = max;
    this.#weight = w;
    this.#inFlight = inFlight;
    this.capacity = max >= 1 ? Math.floor(max) : defaultCapacity;
    this.weight = w !== undefined && w > 0 ? w : 1;
    this.advertInFlight = inFlight > 0 ? inFlight : 0;
    if (seq === undefined) {
      this.others = -1;
    } else {
      // A new heartbeat: what it reports beyond our own tasks runs for other coordinators.
      const own = this.assigned;
      this.others = this.advertInFlight > own ? this.advertInFlight - own : 0;
    }
    this.advertSeq = seq;
    this.updateLoad();
  }

  /**
   * Effective load, merging our own assignments with the instance's advertised in-flight (which
   * counts every coordinator's tasks, ours included, as of its last heartbeat).
   *
   * With a heartbeat sequence on the advert: own + others, where others = advertised − own when
   * that heartbeat was first seen. Our tasks are counted fresh (a release frees its slot at once,
   * not a heartbeat later) and other coordinators' tasks are not forgotten, so coordinators
   * sharing an instance overfill it at most by what they assign within one heartbeat.
   * Without one: max(own, advertised), which never under-counts either view.
   */
  updateLoad(): void {
    const own = this.assigned;
    const others = this.others;
    if (others >= 0) this.load = own + others;
    else this.load = own > this.advertInFlight ? own : this.advertInFlight;
    this.#log.push(this.ix);
  }

  /**
   * Whether a task may go here now, as selectCollector decides outside its panic path: below
   * capacity, and closed, or half-open with nothing assigned yet.
   */
  takes(now: number): boolean {
    if (this.load >= this.capacity) return false;
    const until = this.ejectedUntil;
    return until === undefined || (until <= now && this.assigned === 0);
  }

  state(now: number): BreakerState {
    if (this.ejectedUntil === undefined) return BreakerState.Closed;
    return this.ejectedUntil > now ? BreakerState.Ejected : BreakerState.HalfOpen;
  }

  assign(taskId: string | undefined): void {
    if (taskId === undefined) this.anonymous++;
    else this.tasks.add(taskId);
    this.assigned = this.tasks.size + this.anonymous;
    if (this.ejectedUntil !== undefined) this.probing = true;
    this.updateLoad();
  }

  /** Frees the task's slot; false when the task is not (or no longer) here. */
  release(taskId: string | undefined): boolean {
    let freed: boolean;
    if (taskId === undefined) {
      freed = this.anonymous > 0;
      if (freed) this.anonymous--;
    } else {
      freed = this.tasks.delete(taskId);
    }
    if (freed) {
      this.assigned = this.tasks.size + this.anonymous;
      this.updateLoad();
    }
    return freed;
  }

  /** Removes and returns every task id assigned here (failover). */
  takeTasks(): string[] {
    const ids = this.tasks.values();
    this.tasks.clear();
    this.anonymous = 0;
    this.assigned = 0;
    this.updateLoad();
    return ids;
  }

  /** Opens the breaker for base × 2^level (capped); returns the ejection length. */
  eject(now: number, baseMs: number, maxMs: number): number {
    if (
      this.ejectedUntil === undefined &&
      this.closedAt !== undefined &&
      now - this.closedAt >= maxMs
    ) {
      this.backoffLevel = 0; // closed long enough: the earlier ejections are forgiven
    }
    const ms = Math.min(baseMs * 2 ** this.backoffLevel, maxMs);
    if (this.backoffLevel < MAX_BACKOFF_LEVEL) this.backoffLevel++;
    this.ejectedUntil = now + ms;
    this.probing = false;
    this.consecutiveFailures = 0;
    this.ejections++;
    this.#log.push(this.ix);
    return ms;
  }

  close(now: number): void {
    this.ejectedUntil = undefined;
    this.probing = false;
    this.closedAt = now;
    this.#log.push(this.ix);
  }

  stats(now: number): InstanceStats {
    const state = this.state(now);
    const latencyMs = this.latency.value;
    return {
      load: this.load,
      capacity: this.capacity,
      assigned: this.assigned,
      failures: this.failures,
      consecutiveFailures: this.consecutiveFailures,
      ejections: this.ejections,
      state,
      ...(this.ejectedUntil !== undefined ? { ejectedUntil: this.ejectedUntil } : {}),
      ...(latencyMs !== undefined ? { latencyMs } : {}),
    };
  }
}
