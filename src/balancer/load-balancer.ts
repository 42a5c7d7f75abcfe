import { defaultDeps, type Clock, type Deps } from "../clock.js";
import { InvalidArgumentError } from "../errors.js";
import type { FailoverEvent } from "../../subjects/schemas.js";
import { CandidateSets } from "./candidate-sets.js";
import { indexedStrategy, pickIndexed, type IndexedStrategy } from "./indexed.js";
import type { Instance } from "./instance.js";
import { InstanceTable } from "./instance-table.js";
import { Offers } from "./offers.js";
import { parseBalancerOptions, type BalancerOptions } from "./options.js";
import { resolveStrategy } from "./strategies.js";
import {
  DispatchEventKind,
  type BalancerCandidate,
  type LoadBalancingStats,
  type LoadBalancingStrategy,
  type StrategyCandidate,
  type TaskView,
} from "./types.js";

/** Longest reason a FailoverEvent carries (the wire schema's bound). */
const MAX_REASON = 1024;

/**
 * Picks one instance among capable candidates, never beyond its capacity, and turns repeated
 * failures into ejections and failover events. Pure and synchronous: the clock and the random
 * source are injected, nothing here touches NATS or timers.
 *
 * Breaker per instance: closed → (failover) ejected for ejectionBaseMs × 2^n, capped → half-open
 * once the time is over (one task at a time) → closed on a success, re-ejected for twice as long
 * on a failure. At most `maxEjectedShare` of a candidate set is ejected, and never all of it;
 * should every candidate be ejected anyway (the others left), ejected instances are tried one task
 * at a time rather than leaving the domain without any.
 *
 * A frozen candidate list (the router's) is indexed on first sight (see CandidateSet) and kept
 * per array: later calls with it cost the changes since, and the built-in strategies pick from the
 * index in O(log n) (weighted-round-robin: one pass over numbers, O(log n) while the list stays
 * unchanged), with the same result as their `select` over the list of available candidates. Other
 * lists, and strategies without an index, take the plain path: the list of available candidates,
 * built by one pass that applies every candidate's advert (or from the index), handed to `select`.
 */
export class LoadBalancer {
  readonly options: Readonly<BalancerOptions>;
  readonly strategy: LoadBalancingStrategy;
  readonly #clock: Clock;
  readonly #instances: InstanceTable;
  readonly #indexed: IndexedStrategy | undefined;
  readonly #sets: CandidateSets;
  readonly #offers: Offers;
  /** Numbers each selectCollector call; an instance offered in this call carries it. */
  #call = 0;
  readonly #task = { required: 0, taskId: undefined as string | undefined, now: 0 };
  readonly #eventPrefix: string;
  #eventSeq = 0;
  #tasksDistributed = 0;
  #saturated = 0;
  #failovers = 0;
  #tasksRedistributed = 0;
  #ejections = 0;

  constructor(opts: Partial<BalancerOptions> = {}, deps: Partial<Deps> = {}) {
    const o = parseBalancerOptions(opts);
    const d = defaultDeps(deps);
    this.options = Object.freeze(o);
    this.#clock = d.clock;
    this.#instances = new InstanceTable(o.ewmaDecayMs);
    this.#sets = new CandidateSets(this.#instances, o.defaultCapacity);
    this.#offers = new Offers(this.#instances, o.defaultCapacity);
    this.strategy = resolveStrategy(o.strategy, d, {
      decayMs: o.ewmaDecayMs,
      defaultLatencyMs: o.ewmaDefaultLatencyMs,
    });
    this.#indexed = indexedStrategy(this.strategy);
    this.#eventPrefix = Math.floor(d.rng() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, "0");
  }

  /**
   * An instance with free capacity chosen by the strategy, or null when every candidate is full or
   * ejected (the caller keeps the task queued). Counts the assignment; `taskId` is remembered on
   * the instance so that a failover can name it.
   *
   * A frozen `candidates` array is indexed and its adverts read as snapshots: an advert is read
   * again when a call brings a different advert object for that instance (a heartbeat), not when
   * one is changed in place. Pass a new array when adverts change, as the router does.
   */
  selectCollector<C extends BalancerCandidate>(
    required: number,
    candidates: readonly C[],
    taskId?: string,
  ): C | null {
    const now = this.#clock.now();
    const call = ++this.#call;
    const set = this.#sets.of(candidates, now);
    let offered: Instance[];
    if (set === null) {
      offered = this.#offers.fromList(candidates, required, now, call);
    } else {
      const indexed = this.#indexed;
      if (indexed !== undefined && set.takers() > 0) {
        const i = indexed[pickIndexed](set, this.#taskView(required, taskId, now));
        set.members[i]!.assign(taskId);
        this.#tasksDistributed++;
        return candidates[i]!;
      }
      if (set.takers() === 0 && this.#instances.settled) {
        // Every member is full, and none is in an ejection time: no panic path either.
        this.#saturated++;
        return null;
      }
      offered = this.#offers.fromSet(set, candidates, now, call);
    }
    if (offered.length === 0) {
      this.#saturated++;
      return null;
    }
    // Even a single candidate goes through the strategy, so that its rotation sees every pick.
    const pick: StrategyCandidate | undefined = this.strategy.select(
      offered,
      this.#taskView(required, taskId, now),
    );
    if (pick === undefined) {
      throw new InvalidArgumentError("strategy", `${this.strategy.name} picked no candidate`);
    }
    const s = pick as Instance;
    if (s.offeredIn !== call || s.slot >= candidates.length) {
      throw new InvalidArgumentError(
        "strategy",
        `${this.strategy.name} picked a foreign candidate`,
      );
    }
    s.assign(taskId);
    this.#tasksDistributed++;
    return candidates[s.slot]!;
  }

  /** The reused TaskView, set for this call; ranks brought up to date for idBefore. */
  #taskView(required: number, taskId: string | undefined, now: number): TaskView {
    this.#instances.rank();
    const task = this.#task;
    task.required = required;
    task.taskId = taskId;
    task.now = now;
    return task;
  }

  /** A task ended well: resets consecutive failures, closes a half-open instance, feeds latency. */
  recordSuccess(id: string, latencyMs: number): void {
    const now = this.#clock.now();
    const s = this.#instances.of(id);
    s.consecutiveFailures = 0;
    if (s.ejectedUntil !== undefined && (s.ejectedUntil <= now || s.probing)) {
      s.close(now);
      this.#instances.closed(s);
    }
    if (Number.isFinite(latencyMs)) {
      const ms = latencyMs > 0 ? latencyMs : 0;
      s.latency.observe(ms, now);
      this.strategy.observe?.({ kind: DispatchEventKind.Success, id, at: now, latencyMs: ms });
    }
  }

  /**
   * A task failed on `id`. True when its consecutive failures reach `failoverThreshold`: the caller
   * then calls triggerFailover (and again on each further failure until it does or a success
   * comes). A failure while half-open (or of a probe) re-ejects the instance for twice as long and
   * returns false: there is nothing else on it to move. Failures reported while it is ejected
   * (late results of tasks already moved) are counted only.
   */
  recordFailure(id: string, reason: string): boolean {
    const now = this.#clock.now();
    const s = this.#instances.of(id);
    s.failures++;
    s.lastFailure = reason;
    this.strategy.observe?.({ kind: DispatchEventKind.Failure, id, at: now, reason });
    if (s.ejectedUntil !== undefined) {
      if (s.ejectedUntil <= now || s.probing) this.#eject(s, now);
      return false;
    }
    s.consecutiveFailures++;
    return s.consecutiveFailures >= this.options.failoverThreshold;
  }

  /** A task ended on `id` (well or not): frees its slot. Unknown ids and tasks are ignored. */
  release(id: string, taskId?: string): void {
    this.#instances.get(id)?.release(taskId);
  }

  /**
   * Moves `failedId`'s tasks away: the event lists their ids (removed from the instance; the
   * caller re-dispatches each through selectCollector) and names the other candidate with the most
   * free capacity (ties by id) as the failover target. Ejects `failedId` unless that would leave
   * more than `maxEjectedShare` of `candidates` ejected, or none of them usable; either way its
   * consecutive-failure count starts again.
   */
  triggerFailover(
    failedId: string,
    candidates: readonly BalancerCandidate[],
    required: number,
    reason?: string,
  ): FailoverEvent {
    void required; // part of the coordinator's call; `candidates` already match it
    const now = this.#clock.now();
    const s = this.#instances.of(failedId);
    const taskIds = s.takeTasks();
    let others = 0;
    let othersOut = 0;
    let target: Instance | undefined;
    for (const c of candidates) {
      if (c.id === failedId) continue;
      const o = this.#instances.of(c.id);
      o.refresh(c.advert, this.options.defaultCapacity);
      others++;
      if (o.ejectedUntil !== undefined) {
        othersOut++;
        continue;
      }
      const free = o.capacity - o.load;
      if (free <= 0) continue;
      if (
        target === undefined ||
        free > target.capacity - target.load ||
        (free === target.capacity - target.load && o.id < target.id)
      ) {
        target = o;
      }
    }
    if (s.ejectedUntil !== undefined) {
      if (s.ejectedUntil <= now || s.probing) this.#eject(s, now); // failed while half-open
    } else if (othersOut + 1 <= this.#ejectable(others + 1)) {
      this.#eject(s, now);
    }
    s.consecutiveFailures = 0;
    this.#failovers++;
    this.#tasksRedistributed += taskIds.length;
    const text = (reason ?? s.lastFailure ?? "consecutive failures").slice(0, MAX_REASON);
    return {
      eventId: `failover-${this.#eventPrefix}-${(++this.#eventSeq).toString(36)}`,
      failedCollectorId: failedId,
      ...(target !== undefined ? { failoverTargetId: target.id } : {}),
      timestamp: Math.max(0, Math.floor(now)),
      reason: text,
      taskIds,
    };
  }

  /** How many of `n` instances may be ejected at once: at least one, never all. */
  #ejectable(n: number): number {
    const share = this.options.maxEjectedShare;
    if (share <= 0 || n <= 1) return 0;
    return Math.min(n - 1, Math.max(1, Math.floor(share * n)));
  }

  #eject(s: Instance, now: number): void {
    s.eject(now, this.options.ejectionBaseMs, this.options.ejectionMaxMs);
    this.#instances.ejected(s);
    this.#ejections++;
  }

  /** The instance left: drops its state (read its tasks with tasksOf first). */
  forget(id: string): void {
    if (this.#instances.delete(id) === undefined) return;
    this.#offers.clearMemos(); // they may point at the dropped instance (sets: see generation)
    this.strategy.observe?.({ kind: DispatchEventKind.Forget, id, at: this.#clock.now() });
  }

  /** Task ids assigned to `id` and not yet released or moved, in assignment order. */
  tasksOf(id: string): readonly string[] {
    const s = this.#instances.get(id);
    return s === undefined ? [] : s.tasks.values();
  }

  /**
   * Effective in-flight of `id` (0 if unknown): our own assignments plus the other coordinators'
   * share of its last advert (advertised in-flight beyond ours when that heartbeat was first seen);
   * max(own, advertised) when adverts carry no `heartbeatSeq`. See Instance.updateLoad.
   */
  load(id: string): number {
    return this.#instances.get(id)?.load ?? 0;
  }

  /** True while `id` is inside its ejection time (a half-open instance is not ejected). */
  isEjected(id: string): boolean {
    const until = this.#instances.get(id)?.ejectedUntil;
    return until !== undefined && until > this.#clock.now();
  }

  stats(): LoadBalancingStats {
    const now = this.#clock.now();
    let total = 0;
    let max = 0;
    const entries: [string, ReturnType<Instance["stats"]>][] = [];
    for (const s of this.#instances.values()) {
      total += s.load;
      if (s.load > max) max = s.load;
      entries.push([s.id, s.stats(now)]);
    }
    entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const n = this.#instances.size;
    return {
      strategy: this.strategy.name,
      tasksDistributed: this.#tasksDistributed,
      saturated: this.#saturated,
      failovers: this.#failovers,
      tasksRedistributed: this.#tasksRedistributed,
      averageLoad: n === 0 ? 0 : total / n,
      maxLoad: max,
      ejections: this.#ejections,
      instances: Object.fromEntries(entries),
    };
  }
}
