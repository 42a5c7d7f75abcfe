import type { Deps } from "../clock.js";
import type { CollectorHealth } from "../../subjects/index.js";

/** What the balancer reads of an advert. */
export interface InstanceAdvert {
  /** SourceCaps bits: the instance serves a task when they contain every required bit. */
  readonly capabilities: number;
  /** Tasks the instance runs at once; 0 or missing means `defaultCapacity`. */
  readonly maxConcurrency: number;
  /** Tasks the instance reported running at its last heartbeat (all coordinators together). */
  readonly inFlight: number;
  /** Relative weight for `weighted-round-robin`; 1 when missing. */
  readonly weight?: number;
  /**
   * Heartbeat sequence of the advert. When present, the balancer tells its own tasks from other
   * coordinators' in `inFlight` (see `load`); without it, load is max(own, inFlight).
   */
  readonly heartbeatSeq?: number;
}

/**
 * What the owner of membership (the router) tells the balancer: the router's RouterUpdate is one.
 * `left`: the instance is gone (its tasks stay readable until `forget`); any other kind (joined,
 * updated, recovered, stale, heartbeat): the instance is registered with this health and advert.
 */
export interface InstanceUpdate {
  readonly kind: "joined" | "updated" | "recovered" | "stale" | "left" | "heartbeat";
  readonly id: string;
  /** Unavailable takes the instance out of routing until an update says otherwise. */
  readonly health: CollectorHealth;
  /** The advert in force; without one the instance keeps what it had. */
  readonly advert?: InstanceAdvert;
}

/** One instance as a strategy sees it: the balancer's own object, read-only to strategies. */
export interface StrategyCandidate {
  readonly id: string;
  /**
   * Position of `id` among every instance the balancer knows, sorted by id: comparing ranks orders
   * candidates as comparing ids does. Ranks change only between `StrategyPool.reset()` and the
   * `add` calls that follow it. A departed instance keeps its last rank.
   */
  readonly rank: number;
  /** Effective in-flight tasks: own assignments merged with the advertised in-flight. */
  readonly load: number;
  /** Most tasks the instance takes at once. */
  readonly capacity: number;
  /** Relative weight (≥ 1 unless a caller says otherwise). */
  readonly weight: number;
  /** Peak-EWMA latency estimate in ms, undefined before the first completion. */
  readonly latencyMs: number | undefined;
}

/**
 * The task being placed. Valid for the duration of one `select` call: the balancer reuses the
 * object, so a strategy must copy what it wants to keep.
 */
export interface TaskView {
  /** Required capability bits. */
  readonly required: number;
  readonly taskId: string | undefined;
  /** The injected clock's time of the call. */
  readonly now: number;
}

/** Data a strategy may learn from: completions, failures, departures. No timers, data in only. */
export type DispatchEvent =
  | {
      readonly kind: "success";
      readonly id: string;
      readonly at: number;
      readonly latencyMs: number;
    }
  | {
      readonly kind: "failure";
      readonly id: string;
      readonly at: number;
      readonly reason: string;
    }
  | { readonly kind: "forget"; readonly id: string; readonly at: number };

/**
 * A strategy's index of one pool: the instances of one capability set that can take a task now
 * (routable, not ejected, below capacity). The balancer keeps it up to date, so `select` never
 * walks instances that cannot take the task:
 *
 * - `add(c)` when `c` becomes able to take a task (joined, recovered, released a slot, ejection
 *   over), `delete(c)` when it no longer is (full, ejected, stale, left);
 * - `update(c, previousLoad)` when the load or the weight of a member changed and it stays in;
 * - `reset(position)` when the ranks change (an instance joined): drop every member, keep what the
 *   strategy learnt (a rotation's place, current weights); the members are added again at once,
 *   with their new ranks. `position(id)` is where an id sorts among the new ranks: its rank, or
 *   the rank before it plus 0.5 for an id the balancer no longer knows (a rotation's last pick).
 *
 * `select` returns a member not in `exclude`, or undefined when there is none; it must not change
 * the candidates. The balancer checks the pick and assigns the task.
 */
export interface StrategyPool {
  readonly size: number;
  add(c: StrategyCandidate): void;
  delete(c: StrategyCandidate): void;
  update?(c: StrategyCandidate, previousLoad: number): void;
  reset(position: (id: string) => number): void;
  select(task: TaskView, exclude?: ReadonlySet<string>): StrategyCandidate | undefined;
}

/** Picks one instance among those that can take the task, from an index the balancer feeds. */
export interface LoadBalancingStrategy {
  readonly name: string;
  /** A new, empty index for one capability set (the balancer makes one per set in use). */
  createPool(): StrategyPool;
  observe?(e: DispatchEvent): void;
}

/** Options given to a strategy factory: a spec's fields other than `type`, over the balancer's. */
export type StrategyOptions = Readonly<Record<string, unknown>>;

export type StrategyFactory = (opts: StrategyOptions, deps: Deps) => LoadBalancingStrategy;

/** A strategy by name (any case), by `{ type, ...options }`, or an instance. */
export type StrategySpec =
  string | ({ readonly type: string } & Readonly<Record<string, unknown>>) | LoadBalancingStrategy;

/** Circuit state of one instance. */
export type BreakerState =
  /** Takes tasks up to its capacity. */
  | "closed"
  /** Ejected: takes no task until `ejectedUntil`. */
  | "ejected"
  /** Ejection time over: takes one task at a time until a success closes it or a failure re-ejects it. */
  | "half-open";

export interface InstanceStats {
  /** Effective in-flight tasks. */
  readonly load: number;
  readonly capacity: number;
  /** Tasks this balancer assigned that have not been released or moved. */
  readonly assigned: number;
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly ejections: number;
  readonly state: BreakerState;
  /** End of the current ejection, when not closed. */
  readonly ejectedUntil?: number;
  /** Peak-EWMA latency estimate (ms), once a success has been recorded. */
  readonly latencyMs?: number;
}

export interface LoadBalancingStats {
  readonly strategy: string;
  /** Tasks assigned (`selectCollector` picks and `assign` calls that succeeded). */
  readonly tasksDistributed: number;
  /** `selectCollector` calls that found no instance able to take the task. */
  readonly saturated: number;
  readonly failovers: number;
  /** Task ids handed back by failover events. */
  readonly tasksRedistributed: number;
  /** Mean effective in-flight over known instances. */
  readonly averageLoad: number;
  /** Largest effective in-flight over known instances. */
  readonly maxLoad: number;
  readonly ejections: number;
  /** By id; at most the bound `stats()` was given (busy or troubled instances first). */
  readonly instances: Readonly<Record<string, InstanceStats>>;
  /** Instances known but not listed in `instances` (absent when all are). */
  readonly instancesOmitted?: number;
}
