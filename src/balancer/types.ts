import type { Deps } from "../clock.js";

/**
 * What the balancer needs of a routing candidate. The router's candidate carries these fields and
 * more; `selectCollector` hands the caller's own object back.
 */
export interface BalancerCandidate {
  readonly id: string;
  readonly advert: {
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
  };
  /** Routing confidence (0..1); informational, strategies see it through the caller's candidate. */
  readonly confidence?: number;
}

/**
 * One instance as a strategy sees it. The balancer has already dropped instances that are full or
 * ejected, so every candidate a strategy receives can take the task.
 */
export interface StrategyCandidate {
  readonly id: string;
  /** Effective in-flight tasks: own assignments merged with the advertised in-flight. */
  readonly load: number;
  /** Most tasks the instance takes at once. */
  readonly capacity: number;
  /** Relative weight (≥ 1 unless a caller says otherwise). */
  readonly weight: number;
  /** Peak-EWMA latency estimate in ms, undefined before the first completion. */
  readonly latencyMs: number | undefined;
  /**
   * Position of `id` in the sorted ids of every instance the balancer knows. Comparing ranks
   * orders candidates exactly as comparing ids does, without string comparisons; `idBefore`
   * uses them when both candidates have one.
   */
  readonly rank?: number;
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

export const DispatchEventKind = {
  Success: "success",
  Failure: "failure",
  Forget: "forget",
} as const;
export type DispatchEventKind = (typeof DispatchEventKind)[keyof typeof DispatchEventKind];

/** Data a strategy may learn from: completions, failures, departures. No timers, data in only. */
export type DispatchEvent =
  | {
      readonly kind: typeof DispatchEventKind.Success;
      readonly id: string;
      readonly at: number;
      readonly latencyMs: number;
    }
  | {
      readonly kind: typeof DispatchEventKind.Failure;
      readonly id: string;
      readonly at: number;
      readonly reason: string;
    }
  | { readonly kind: typeof DispatchEventKind.Forget; readonly id: string; readonly at: number };

/** Picks one instance among candidates that all have free capacity. */
export interface LoadBalancingStrategy {
  readonly name: string;
  /** Returns one of `c` (the same object), or undefined when `c` is empty. */
  select(c: readonly StrategyCandidate[], task: TaskView): StrategyCandidate | undefined;
  observe?(e: DispatchEvent): void;
}

/** Options given to a strategy factory: a spec's fields other than `type`, over the balancer's. */
export type StrategyOptions = Readonly<Record<string, unknown>>;

export type StrategyFactory = (opts: StrategyOptions, deps: Deps) => LoadBalancingStrategy;

/** A strategy by name (any case), by `{ type, ...options }`, or an instance. */
export type StrategySpec =
  string | ({ readonly type: string } & Readonly<Record<string, unknown>>) | LoadBalancingStrategy;

/** Circuit state of one instance. */
export const BreakerState = {
  /** Takes tasks up to its capacity. */
  Closed: "closed",
  /** Ejected: takes no task until `ejectedUntil`. */
  Ejected: "ejected",
  /** Ejection time over: takes one task at a time until a success closes it or a failure re-ejects it. */
  HalfOpen: "half-open",
} as const;
export type BreakerState = (typeof BreakerState)[keyof typeof BreakerState];

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
  /** Successful `selectCollector` calls. */
  readonly tasksDistributed: number;
  /** `selectCollector` calls that found every candidate full or ejected. */
  readonly saturated: number;
  readonly failovers: number;
  /** Task ids handed back by failover events. */
  readonly tasksRedistributed: number;
  /** Mean effective in-flight over known instances. */
  readonly averageLoad: number;
  /** Largest effective in-flight over known instances. */
  readonly maxLoad: number;
  readonly ejections: number;
  readonly instances: Readonly<Record<string, InstanceStats>>;
}
