import type { Logger } from "pino";
import type { NatsConnection } from "@nats-io/nats-core";
import { InvalidArgumentError } from "../errors.js";
import { DEFAULT_PREFIX, checkPrefix, checkToken } from "../../subjects/index.js";
import type { Clock, Rng } from "../clock.js";
import { systemClock } from "../clock.js";
import { silentLogger } from "../telemetry/logger.js";
import { randomId } from "../structures/ids.js";
import { noopMetrics, type CoordinatorMetrics } from "./metrics.js";

export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_SWEEP_INTERVAL_MS = 50;
export const DEFAULT_ADVERT_TTL_MS = 3000;
export const DEFAULT_SUBMIT_TIMEOUT_MS = 30_000;

export interface CoordinatorOptions {
  nc: NatsConnection;
  /** One subject token; names this coordinator's result inbox. */
  id: string;
  prefix: string;
  /** Balancing strategy name or spec (see balancer). */
  strategy: string | { type: string; [k: string]: unknown };
  /** Advert TTL: a collector whose last heartbeat is older is stale. */
  advertTtlMs: number;
  /** How long one attempt may run before the task moves to another instance. */
  attemptTimeoutMs: number;
  /** Attempts per task (first send included) while its deadline allows. */
  maxAttempts: number;
  /** Period of the one sweep that drives every deadline. */
  sweepIntervalMs: number;
  /** Tasks waiting for capacity, beyond which submit fails with OverloadedError. */
  maxQueued: number;
  /** A queued task moves up one priority level per agingMs waited. */
  agingMs: number;
  /** Consecutive failures after which an instance fails over. */
  failoverThreshold: number;
  defaultTimeoutMs: number;
  /** Serve `<p>.api.*` as the NATS micro service `collector-mesh`. */
  serviceApi: boolean;
  logger: Logger;
  /** Event-time observations for a metrics backend (Prometheus in the CLI). */
  metrics: CoordinatorMetrics;
  clock: Clock;
  rng: Rng;
}

export type CoordinatorInit = Pick<CoordinatorOptions, "nc"> &
  Partial<Omit<CoordinatorOptions, "nc">>;

export function parseCoordinatorOptions(init: CoordinatorInit): CoordinatorOptions {
  const o: CoordinatorOptions = {
    id: `coord-${randomId(10)}`,
    prefix: DEFAULT_PREFIX,
    strategy: "least-connections",
    advertTtlMs: DEFAULT_ADVERT_TTL_MS,
    attemptTimeoutMs: DEFAULT_ATTEMPT_TIMEOUT_MS,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS,
    maxQueued: 100_000,
    agingMs: 1000,
    failoverThreshold: 3,
    defaultTimeoutMs: DEFAULT_SUBMIT_TIMEOUT_MS,
    serviceApi: true,
    logger: silentLogger,
    metrics: noopMetrics,
    clock: systemClock,
    rng: Math.random,
    ...definedOnly(init),
  };
  if (!o.nc) throw new InvalidArgumentError("nc", "is required");
  checkToken("coordinator id", o.id);
  checkPrefix(o.prefix);
  for (const k of [
    "advertTtlMs",
    "attemptTimeoutMs",
    "maxAttempts",
    "sweepIntervalMs",
    "maxQueued",
    "agingMs",
    "failoverThreshold",
    "defaultTimeoutMs",
  ] as const) {
    const v = o[k];
    if (!Number.isInteger(v) || v < 1)
      throw new InvalidArgumentError(k, "must be a positive integer");
  }
  return o;
}

function definedOnly<T extends object>(o: T): T {
  const out = {} as T;
  for (const [k, v] of Object.entries(o))
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
