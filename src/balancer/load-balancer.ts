import { defaultDeps, type Clock, type Deps } from "../clock.js";
import { InvalidArgumentError, NoCapableCollectorError } from "../errors.js";
import { formatCaps, type FailoverEvent } from "../../subjects/index.js";
import type { Instance } from "./instance.js";
import { InstanceTable } from "./instance-table.js";
import { parseBalancerOptions, type BalancerOptions } from "./options.js";
import type { Pool } from "./pool.js";
import { resolveStrategy } from "./strategies.js";
import { instanceFigures } from "./stats.js";
import type { InstanceUpdate, LoadBalancingStats, LoadBalancingStrategy } from "./types.js";

/** Longest reason a FailoverEvent carries (the wire schema's bound). */
const MAX_REASON = 1024;
/** How long a failover target found by a pass over the instances is reused. */
const TARGET_MAX_AGE_MS = 1000;

/**
 * Picks one instance for a task, never beyond its capacity, and turns repeated failures into
 * ejections and failover events. Pure and synchronous: the clock and the random source are
 * injected, nothing here touches NATS or timers.
 *
 * It is fed, not asked: the owner of membership (the router, through `follow`) tells it each
 * join, departure, health and capacity change and each heartbeat's load (`apply`). From these and
 * from its own assignments it keeps, per capability set in use, the pool of instances that can
 * take a task now (routable, not ejected, below capacity), and the strategy picks from that pool.
 * An instance that fills up leaves its pools; a release puts it back.
 *
 * Breaker per instance: closed → (failover) ejected for ejectionBaseMs × 2^n, capped → half-open
 * once the time is over (one task at a time) → closed on a success, re-ejected for twice as long
 * on a failure. At most `maxEjectedShare` of the instances serving the failed one's capabilities
 * are ejected, and never all of them; should every routable instance of a set be ejected anyway
 * (the others left), the ejected ones take one task at a time, first by id.
 */
export class LoadBalancer {
  readonly options: Readonly<BalancerOptions>;
  readonly strategy: LoadBalancingStrategy;
  readonly #clock: Clock;
  readonly #table: InstanceTable;
  readonly #task = { required: 0, taskId: undefined as string | undefined, now: 0 };
  readonly #eventPrefix: string;
  #eventSeq = 0;
  #tasksDistributed = 0;
  #saturated = 0;
  #failovers = 0;
  #tasksRedistributed = 0;
  #ejections = 0;
  /** Failover targets by capability set, with when they were found. */
  readonly #targets = new Map<number, { id: string; at: number }>();

  constructor(opts: Partial<BalancerOptions> = {}, deps: Partial<Deps> = {}) {
    const o = parseBalancerOptions(opts);
    const d = defaultDeps(deps);
    this.options = Object.freeze(o);
    this.#clock = d.clock;
    this.strategy = resolveStrategy(o.strategy, d, {
      decayMs: o.ewmaDecayMs,
      defaultLatencyMs: o.ewmaDefaultLatencyMs,
    });
    this.#table = new InstanceTable(this.strategy, o.ewmaDecayMs);
    this.#eventPrefix = Math.floor(d.rng() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, "0");
  }

  /**
   * What changed on one instance, as its router says (`router.follow((u) => lb.apply(u))`).
   * `left` takes it out of every pool; its tasks stay readable (tasksOf) until `forget`, or it is
   * dropped at once when it holds none.
   */
  apply(u: InstanceUpdate): void {
    if (u.kind === "left") {
      const s = this.#table.get(u.id);
      if (s === undefined) return;
      s.registered = false;
      s.routable = false;
      this.#table.sync(s);
      if (s.assigned === 0) this.forget(u.id);
      return;
    }
    if (u.advert === undefined && this.#table.get(u.id) === undefined) return; // nothing to go on
    const s = this.#table.of(u.id);
    s.registered = true;
    s.routable = u.health !== "unavailable";
    if (u.advert !== undefined) s.readAdvert(u.advert, this.options.defaultCapacity);
    this.#table.sync(s);
  }

  /** Registered instances that advertise every bit of `required`, in any health. */
  capable(required: number): number {
    return this.#table.pool(required).capable;
  }

  /**
   * Ids, sorted, of the routable instances advertising `required` (ejected and full ones too):
   * the targets of a fan-out. Throws NoCapableCollectorError when no registered instance
   * advertises it; [] when some do but none is routable.
   */
  routable(required: number): readonly string[] {
    const p = this.#table.pool(required);
    if (p.capable === 0) throw new NoCapableCollectorError(required, formatCaps(required));
    return p.routableIds(this.#table.values());
  }

  /** True when `id` is registered and routable (whatever its load or breaker). */
  isRoutable(id: string): boolean {
    return this.#table.get(id)?.routable === true;
  }

  /**
   * The id of an instance advertising `required` that can take the task now, chosen by the
   * strategy, or undefined (the caller keeps the task queued). Instances in `exclude` (those that
   * already failed this task) are passed over while some other routable instance serves
   * `required`, even one that is full right now; once all of them are excluded, any will do.
   * Counts the assignment; `taskId` is remembered so that a failover can name it.
   */
  selectCollector(
    required: number,
    taskId?: string,
    exclude?: ReadonlySet<string>,
  ): string | undefined {
    const now = this.#clock.now();
    const pool = this.#table.pool(required);
    this.#table.tick(now);
    const ex = this.#exclusions(pool, exclude);
    const task = this.#task;
    task.required = required;
    task.taskId = taskId;
    task.now = now;
    let s: Instance | undefined;
    const pick = pool.index.select(task, ex);
    if (pick !== undefined) {
      s = this.#table.get(pick.id);
      if (s !== pick || !s.available || !pool.has(s) || ex?.has(s.id) === true) {
        throw new InvalidArgumentError(
          "strategy",
          `${this.strategy.name} picked a candidate outside its pool`,
        );
      }
    } else if (pool.ejected > 0 && pool.ejected === pool.routable) {
      s = this.#panic(pool, ex);
    }
    if (s === undefined) {
      this.#saturated++;
      return undefined;
    }
    this.#assign(s, taskId);
    return s.id;
  }

  /**
   * Assigns the task to `id` when it can take one now (routable, below capacity, closed or an idle
   * half-open); false otherwise, and nothing changes.
   */
  assign(id: string, taskId?: string): boolean {
    this.#table.tick(this.#clock.now());
    const s = this.#table.get(id);
    if (s === undefined || !s.available) return false;
    this.#assign(s, taskId);
    return true;
  }

  #assign(s: Instance, taskId: string | undefined): void {
    s.assign(taskId);
    this.#tasksDistributed++;
    this.#table.sync(s);
  }

  /** `exclude`, or undefined when it leaves no routable member of the pool. */
  #exclusions(
    pool: Pool,
    exclude: ReadonlySet<string> | undefined,
  ): ReadonlySet<string> | undefined {
    if (exclude === undefined || exclude.size === 0) return undefined;
    let inside = 0;
    for (const id of exclude) {
      const s = this.#table.get(id);
      if (s !== undefined && s.routable && pool.has(s)) inside++;
    }
    return inside < pool.routable ? exclude : undefined;
  }

  /** Every routable member is ejected: the first idle one by id, below capacity, takes a task. */
  #panic(pool: Pool, ex: ReadonlySet<string> | undefined): Instance | undefined {
    let best: Instance | undefined;
    for (const s of this.#table.values()) {
      if (!s.routable || !s.ejected || !pool.has(s)) continue;
      if (s.assigned > 0 || s.load >= s.capacity || ex?.has(s.id) === true) continue;
      if (best === undefined || s.id < best.id) best = s;
    }
    return best;
  }

  /** A task ended well: resets consecutive failures, closes a half-open instance, feeds latency. */
  recordSuccess(id: string, latencyMs: number): void {
    const s = this.#table.get(id);
    if (s === undefined) return;
    const now = this.#clock.now();
    s.consecutiveFailures = 0;
    if (s.ejectedUntil !== undefined && (s.ejectedUntil <= now || s.probing)) {
      s.close(now);
      this.#table.closed(s);
    }
    if (Number.isFinite(latencyMs)) {
      const ms = latencyMs > 0 ? latencyMs : 0;
      s.latency.observe(ms, now);
      this.strategy.observe?.({ kind: "success", id, at: now, latencyMs: ms });
    }
  }

  /**
   * A task failed on `id`. True when its consecutive failures reach `failoverThreshold`: the caller
   * then calls triggerFailover (and again on each further failure until it does or a success
   * comes). A failure while half-open (or of a probe) re-ejects the instance for twice as long and
   * returns false: there is nothing else on it to move. Failures reported while it is ejected
   * (late results of tasks already moved) are counted only. Unknown ids are ignored.
   */
  recordFailure(id: string, reason: string): boolean {
    const s = this.#table.get(id);
    if (s === undefined) return false;
    const now = this.#clock.now();
    s.failures++;
    s.lastFailure = reason;
    this.strategy.observe?.({ kind: "failure", id, at: now, reason });
    if (s.ejectedUntil !== undefined) {
      if (s.ejectedUntil <= now || s.probing) this.#eject(s, now);
      return false;
    }
    s.consecutiveFailures++;
    return s.consecutiveFailures >= this.options.failoverThreshold;
  }

  /** A task ended on `id` (well or not): frees its slot. Unknown ids and tasks are ignored. */
  release(id: string, taskId?: string): void {
    const s = this.#table.get(id);
    if (s !== undefined && s.release(taskId)) this.#table.sync(s);
  }

  /**
   * Moves `failedId`'s tasks away: the event lists their ids (removed from the instance; the
   * caller places each again) and names the other routable instance serving its capabilities
   * with the most free capacity (ties by id) as the failover target. Ejects `failedId` unless
   * that would leave more than `maxEjectedShare` of those instances ejected, or none of them
   * usable; either way its consecutive-failure count starts again.
   */
  triggerFailover(failedId: string, reason?: string): FailoverEvent {
    const now = this.#clock.now();
    this.#table.tick(now);
    const s = this.#table.get(failedId);
    const taskIds = s === undefined ? [] : s.takeTasks();
    let target: Instance | undefined;
    if (s !== undefined) {
      this.#table.sync(s);
      // The other routable instances serving its capabilities, from the pool's counts: a burst
      // of failovers costs no pass over the fleet per failure.
      const p = this.#table.pool(s.capabilities);
      const self = p.has(s) && s.routable;
      const others = p.routable - (self ? 1 : 0);
      const othersOut = p.open - (self && s.ejectedUntil !== undefined ? 1 : 0);
      target = this.#failoverTarget(s, p, now);
      if (s.ejectedUntil !== undefined) {
        if (s.ejectedUntil <= now || s.probing) this.#eject(s, now); // failed while half-open
      } else if (othersOut + 1 <= this.#ejectable(others + 1)) {
        this.#eject(s, now);
      }
      s.consecutiveFailures = 0;
    }
    this.#failovers++;
    this.#tasksRedistributed += taskIds.length;
    const text = (reason ?? s?.lastFailure ?? "consecutive failures").slice(0, MAX_REASON);
    return {
      eventId: `failover-${this.#eventPrefix}-${(++this.#eventSeq).toString(36)}`,
      failedCollectorId: failedId,
      ...(target !== undefined ? { failoverTargetId: target.id } : {}),
      timestamp: Math.max(0, Math.floor(now)),
      reason: text,
      taskIds,
    };
  }

  /**
   * The other routable, closed instance of `pool` with the most free capacity (ties by id), as of
   * the last pass over the instances, which is made again when it is a second old or its pick can
   * no longer take a task: a failover names where its work is likely to go without a pass over
   * the fleet for every failure of a burst.
   */
  #failoverTarget(failed: Instance, pool: Pool, now: number): Instance | undefined {
    const cached = this.#targets.get(pool.required);
    if (cached !== undefined && now - cached.at < TARGET_MAX_AGE_MS) {
      const t = this.#table.get(cached.id);
      if (t === undefined) this.#targets.delete(pool.required);
      else if (
        t !== failed &&
        t.routable &&
        pool.has(t) &&
        t.ejectedUntil === undefined &&
        t.capacity - t.load > 0
      ) {
        return t;
      }
    }
    let target: Instance | undefined;
    for (const o of this.#table.values()) {
      if (o === failed || !o.routable || !pool.has(o) || o.ejectedUntil !== undefined) continue;
      const free = o.capacity - o.load;
      if (free <= 0) continue;
      const best = target === undefined ? 0 : target.capacity - target.load;
      if (target === undefined || free > best || (free === best && o.id < target.id)) target = o;
    }
    if (target === undefined) this.#targets.delete(pool.required);
    else this.#targets.set(pool.required, { id: target.id, at: now });
    return target;
  }

  /** How many of `n` instances may be ejected at once: at least one, never all. */
  #ejectable(n: number): number {
    const share = this.options.maxEjectedShare;
    if (share <= 0 || n <= 1) return 0;
    return Math.min(n - 1, Math.max(1, Math.floor(share * n)));
  }

  #eject(s: Instance, now: number): void {
    s.eject(now, this.options.ejectionBaseMs, this.options.ejectionMaxMs);
    this.#table.ejected(s);
    this.#ejections++;
  }

  /** Drops the state of `id` (read its tasks with tasksOf first); it leaves every pool. */
  forget(id: string): void {
    const s = this.#table.get(id);
    if (s === undefined) return;
    this.#table.delete(s);
    this.strategy.observe?.({ kind: "forget", id, at: this.#clock.now() });
  }

  /** Task ids assigned to `id` and not yet released or moved, in assignment order. */
  tasksOf(id: string): readonly string[] {
    const s = this.#table.get(id);
    return s === undefined ? [] : s.tasks.values();
  }

  /**
   * Effective in-flight of `id` (0 if unknown): our own assignments plus the other coordinators'
   * share of its last advert (advertised in-flight beyond ours when that heartbeat arrived);
   * max(own, advertised) when adverts carry no `heartbeatSeq`. See Instance.updateLoad.
   */
  load(id: string): number {
    return this.#table.get(id)?.load ?? 0;
  }

  /** True while `id` is inside its ejection time (a half-open instance is not ejected). */
  isEjected(id: string): boolean {
    const until = this.#table.get(id)?.ejectedUntil;
    return until !== undefined && until > this.#clock.now();
  }

  /**
   * Counters and each instance's figures. `maxInstances` bounds the instances listed (an api.stats
   * reply must fit in one NATS message): busy or troubled ones first, then the rest by id;
   * `instancesOmitted` says how many were left out.
   */
  stats(maxInstances = Number.POSITIVE_INFINITY): LoadBalancingStats {
    return {
      strategy: this.strategy.name,
      tasksDistributed: this.#tasksDistributed,
      saturated: this.#saturated,
      failovers: this.#failovers,
      tasksRedistributed: this.#tasksRedistributed,
      ejections: this.#ejections,
      ...instanceFigures(this.#table.values(), this.#clock.now(), maxInstances),
    };
  }
}
