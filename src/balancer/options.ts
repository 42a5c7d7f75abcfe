import { InvalidArgumentError } from "../errors.js";
import type { StrategySpec } from "./types.js";

export const DEFAULT_STRATEGY = "least-connections";
/** Consecutive failures after which `recordFailure` asks for a failover. */
export const DEFAULT_FAILOVER_THRESHOLD = 3;
/** First ejection; doubles on each repeat ejection. */
export const DEFAULT_EJECTION_BASE_MS = 5_000;
/** Longest ejection; also how long an instance must stay closed before its doubling is forgotten. */
export const DEFAULT_EJECTION_MAX_MS = 300_000;
/** Most instances of a candidate set ejected at once (one is always allowed, all never). */
export const DEFAULT_MAX_EJECTED_SHARE = 0.5;
/** Capacity of an instance whose advert gives no `maxConcurrency`. */
export const DEFAULT_CAPACITY = 10;
/** Time constant of the latency EWMA (Finagle and Linkerd use 10 s). */
export const DEFAULT_EWMA_DECAY_MS = 10_000;
/** Latency assumed for an instance before its first completion (p2c-ewma). */
export const DEFAULT_EWMA_DEFAULT_LATENCY_MS = 100;

export interface BalancerOptions {
  /** Strategy name (any case), `{ type, ...options }`, or a strategy instance. */
  strategy: StrategySpec;
  failoverThreshold: number;
  ejectionBaseMs: number;
  ejectionMaxMs: number;
  /** 0..1; 0 disables ejection. */
  maxEjectedShare: number;
  defaultCapacity: number;
  ewmaDecayMs: number;
  ewmaDefaultLatencyMs: number;
}

export function defaultBalancerOptions(): BalancerOptions {
  return {
    strategy: DEFAULT_STRATEGY,
    failoverThreshold: DEFAULT_FAILOVER_THRESHOLD,
    ejectionBaseMs: DEFAULT_EJECTION_BASE_MS,
    ejectionMaxMs: DEFAULT_EJECTION_MAX_MS,
    maxEjectedShare: DEFAULT_MAX_EJECTED_SHARE,
    defaultCapacity: DEFAULT_CAPACITY,
    ewmaDecayMs: DEFAULT_EWMA_DECAY_MS,
    ewmaDefaultLatencyMs: DEFAULT_EWMA_DEFAULT_LATENCY_MS,
  };
}

/** Merges `partial` over the defaults and validates once; internals read only the result. */
export function parseBalancerOptions(partial: Partial<BalancerOptions> = {}): BalancerOptions {
  const o = defaultBalancerOptions();
  for (const [k, v] of Object.entries(partial) as [keyof BalancerOptions, unknown][]) {
    if (v === undefined) continue;
    if (!(k in o)) throw new InvalidArgumentError(k, "is not a balancer option");
    (o as unknown as Record<string, unknown>)[k] = v;
  }
  checkSpec(o.strategy);
  integer("failoverThreshold", o.failoverThreshold, 1);
  integer("defaultCapacity", o.defaultCapacity, 1);
  positive("ejectionBaseMs", o.ejectionBaseMs);
  positive("ejectionMaxMs", o.ejectionMaxMs);
  if (o.ejectionMaxMs < o.ejectionBaseMs) {
    throw new InvalidArgumentError("ejectionMaxMs", "must be at least ejectionBaseMs");
  }
  if (!(o.maxEjectedShare >= 0 && o.maxEjectedShare <= 1)) {
    throw new InvalidArgumentError("maxEjectedShare", "must be between 0 and 1");
  }
  positive("ewmaDecayMs", o.ewmaDecayMs);
  positive("ewmaDefaultLatencyMs", o.ewmaDefaultLatencyMs);
  return o;
}

function checkSpec(s: unknown): void {
  if (typeof s === "string" && s.trim() !== "") return;
  if (typeof s === "object" && s !== null) {
    const r = s as Record<string, unknown>;
    if (typeof r.select === "function" && typeof r.name === "string") return;
    if (typeof r.type === "string" && r.type.trim() !== "") return;
  }
  throw new InvalidArgumentError(
    "strategy",
    "must be a strategy name, { type, ...options } or a strategy object",
  );
}

function integer(prop: string, v: unknown, min: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new InvalidArgumentError(prop, `must be an integer ≥ ${min}, got ${String(v)}`);
  }
}

function positive(prop: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new InvalidArgumentError(prop, `must be a finite number > 0, got ${String(v)}`);
  }
}
