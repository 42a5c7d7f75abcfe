import { PeakEwma } from "./ewma.js";
import { TaskList } from "./task-list.js";
import type { BreakerState, InstanceAdvert, InstanceStats, StrategyCandidate } from "./types.js";

/** Longest doubling exponent; past it the ejection is at its cap anyway. */
const MAX_BACKOFF_LEVEL = 30;

/**
 * The balancer's state of one instance: what its router told (registration, health, advert), what
 * this balancer assigned there, and its breaker. It is also what strategies receive as a
 * candidate. The balancer keeps its pools in step with it after each change (see `available`).
 */
export class Instance implements StrategyCandidate {
  readonly id: string;
  rank = -1;
  load = 0;
  capacity = 1;
  weight = 1;
  get latencyMs(): number | undefined {
    return this.latency.value;
  }

  /** Registered with the router (not left). */
  registered = false;
  /** Registered and not Unavailable. */
  routable = false;
  capabilities = 0;
  /** In-flight reported by the instance's last advert. */
  advertInFlight = 0;
  /** Heartbeat of that advert; undefined when adverts carry none. */
  advertSeq: number | undefined = undefined;
  /** Other coordinators' tasks there, estimated at its last heartbeat; -1 without heartbeat seqs. */
  others = -1;
  /** Task ids this balancer assigned here, in assignment order. */
  readonly tasks = new TaskList();
  /** Assignments made without a task id. */
  anonymous = 0;
  /** Own assignments in flight: tasks.size + anonymous. */
  assigned = 0;

  failures = 0;
  consecutiveFailures = 0;
  lastFailure: string | undefined = undefined;
  ejections = 0;
  /** undefined: closed. Otherwise ejected until then, half-open after. */
  ejectedUntil: number | undefined = undefined;
  /** Inside its ejection time, as of the balancer's last look at the clock. */
  ejected = false;
  /** A task was assigned while not closed: its outcome decides the breaker. */
  probing = false;
  /** Doubling exponent of the next ejection. */
  backoffLevel = 0;
  closedAt: number | undefined = undefined;
  readonly latency: PeakEwma;

  /** The state the balancer's pools last saw (see LoadBalancer #sync). */
  seen = {
    capabilities: 0,
    registered: false,
    routable: false,
    ejected: false,
    open: false,
    available: false,
  };
  seenLoad = 0;
  seenWeight = 1;

  constructor(id: string, decayMs: number) {
    this.id = id;
    this.latency = new PeakEwma(decayMs);
  }

  /**
   * Can take a task now: routable, below capacity, and closed or half-open with nothing assigned
   * (a half-open instance takes one probe at a time).
   */
  get available(): boolean {
    if (!this.routable || this.load >= this.capacity) return false;
    return this.ejectedUntil === undefined || (!this.ejected && this.assigned === 0);
  }

  /** Takes capabilities, capacity, weight and advertised in-flight from an advert. */
  readAdvert(advert: InstanceAdvert, defaultCapacity: number): void {
    this.capabilities = advert.capabilities;
    const max = advert.maxConcurrency;
    this.capacity = max >= 1 ? Math.floor(max) : defaultCapacity;
    const w = advert.weight;
    this.weight = w !== undefined && w > 0 ? w : 1;
    const inFlight = advert.inFlight > 0 ? advert.inFlight : 0;
    const seq = advert.heartbeatSeq;
    if (seq === undefined) {
      this.others = -1;
    } else if (seq !== this.advertSeq || inFlight !== this.advertInFlight) {
      // A new heartbeat: what it reports beyond our own tasks runs for other coordinators.
      this.others = inFlight > this.assigned ? inFlight - this.assigned : 0;
    }
    this.advertInFlight = inFlight;
    this.advertSeq = seq;
    this.updateLoad();
  }

  /**
   * Effective load, merging our own assignments with the instance's advertised in-flight (which
   * counts every coordinator's tasks, ours included, as of its last heartbeat).
   *
   * With a heartbeat sequence on the advert: own + others, where others = advertised − own when
   * that heartbeat arrived. Our tasks are counted fresh (a release frees its slot at once, not a
   * heartbeat later) and other coordinators' tasks are not forgotten, so coordinators sharing an
   * instance overfill it at most by what they assign within one heartbeat.
   * Without one: max(own, advertised), which never under-counts either view.
   */
  updateLoad(): void {
    const own = this.assigned;
    if (this.others >= 0) this.load = own + this.others;
    else this.load = own > this.advertInFlight ? own : this.advertInFlight;
  }

  state(now: number): BreakerState {
    if (this.ejectedUntil === undefined) return "closed";
    return this.ejectedUntil > now ? "ejected" : "half-open";
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

  /** Opens the breaker for base × 2^level (capped). */
  eject(now: number, baseMs: number, maxMs: number): void {
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
    this.ejected = true;
    this.probing = false;
    this.consecutiveFailures = 0;
    this.ejections++;
  }

  close(now: number): void {
    this.ejectedUntil = undefined;
    this.ejected = false;
    this.probing = false;
    this.closedAt = now;
  }

  stats(now: number): InstanceStats {
    const latencyMs = this.latency.value;
    return {
      load: this.load,
      capacity: this.capacity,
      assigned: this.assigned,
      failures: this.failures,
      consecutiveFailures: this.consecutiveFailures,
      ejections: this.ejections,
      state: this.state(now),
      ...(this.ejectedUntil !== undefined ? { ejectedUntil: this.ejectedUntil } : {}),
      ...(latencyMs !== undefined ? { latencyMs } : {}),
    };
  }
}
