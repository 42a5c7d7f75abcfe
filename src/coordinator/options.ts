import type { Logger } from "pino";
import type { NatsConnection } from "@nats-io/nats-core";
import { InvalidArgumentError } from "../errors.js";
import { DEFAULT_PREFIX, checkPrefix, checkToken } from "../../subjects/index.js";
import type { Clock, Rng } from "../clock.js";
import { systemClock } from "../clock.js";
import { silentLogger } from "../telemetry/logger.js";
import { randomId } from "../structures/ids.js";
import { rejectUnknownKeys, stripUndefined } from "../options.js";
import type { BalancerOptions, StrategySpec } from "../balancer/index.js";
import type { AggregatorOptions } from "../aggregator/index.js";
import type { RouterOptions, RouterWatcherOptions } from "../router/index.js";
import type { HuntRunnerOptions } from "../hunts/options.js";
import {
  DEFAULT_ADVERT_TTL_MS,
  DEFAULT_SWEEP_INTERVAL_MS as ROUTER_SWEEP_MS,
} from "../router/options.js";
import {
  DEFAULT_AGING_MS,
  DEFAULT_MAX_QUEUED,
  DEFAULT_TIMEOUT_MS,
} from "../distributor/options.js";
import { noopMetrics, type CoordinatorMetrics } from "./metrics.js";
import type { DurableOptions } from "../durable/options.js";

export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_ATTEMPTS = 5;
/** The coordinator's one timer: attempt, queue and aggregation deadlines. */
export const DEFAULT_SWEEP_INTERVAL_MS = 50;
export const DEFAULT_PROBE_COOLDOWN_MS = 1000;
export const DEFAULT_PROBE_TIMEOUT_MS = 1000;
/** After a no-responders status to a probe, how long an answer may still prove the instance alive. */
export const DEFAULT_PROBE_CONFIRM_MS = 250;
/**
 * When more than half of the routable collectors look stale at once, the coordinator fails none
 * of them by age: it keeps routing to all and fails only those a probe proves gone (Envoy's
 * healthy-panic threshold is 50 % too). A fleet that loses half its hosts at once still loses
 * them one probe at a time.
 */
export const DEFAULT_PANIC_THRESHOLD = 0.5;
/** Sweep timer drift up to this is noise; a later sweep follows a stall of the event loop. */
export const DEFAULT_LAG_TOLERANCE_MS = 100;
/** A collector with work not heard from for this long is probed (then after 2 s, 4 s, … 15 s). */
export const DEFAULT_SILENT_AFTER_MS = 1000;
/** Fan-out parts handed to the dispatcher per event-loop turn (about 5-10 ms of work). */
export const DEFAULT_DISPATCH_BATCH = 256;
/** Probes sent per sweep at most (20 sweeps a second). */
export const DEFAULT_MAX_PROBES_PER_SWEEP = 250;
export { DEFAULT_ADVERT_TTL_MS };
/** A submit's timeout when it names none (the distributor's default). */
export const DEFAULT_SUBMIT_TIMEOUT_MS = DEFAULT_TIMEOUT_MS;

export interface CoordinatorOptions {
  nc: NatsConnection;
  /** One subject token; names this coordinator's result inbox. */
  id: string;
  prefix: string;
  /** Balancing strategy (a shortcut for `balancer.strategy`; the balancer's default otherwise). */
  strategy: StrategySpec | undefined;
  /** Advert TTL: a collector whose last heartbeat is older is stale. */
  advertTtlMs: number;
  /** How long one attempt may run before the task moves to another instance. */
  attemptTimeoutMs: number;
  /** Attempts per task (first send included) while its deadline allows. */
  maxAttempts: number;
  /** Period of the one sweep that drives every deadline. */
  sweepIntervalMs: number;
  /** How often, on that sweep, the router looks for stale collectors. */
  routerSweepMs: number;
  /** Least time between two probes of one suspect instance. */
  probeCooldownMs: number;
  /** How long a probe waits for an answer. */
  probeTimeoutMs: number;
  /**
   * After a no-responders status to a probe, how long an answer may still prove the instance
   * alive: anyone who reads the direct subject can send the probe a 503 first (probe.ts).
   */
  probeConfirmMs: number;
  /**
   * Share (0..1] of the routable collectors that may look stale at once before the coordinator
   * stops failing them by age (it keeps routing to all; a probe's 503 still fails one).
   */
  panicThreshold: number;
  /** Event-loop delay of the coordinator itself (its sweep's drift) that counts as a stall. */
  lagToleranceMs: number;
  /** A collector with work silent this long is probed on its direct subject. */
  silentAfterMs: number;
  /** Most probes sent per sweep. */
  maxProbesPerSweep: number;
  /** Fan-out parts dispatched per event-loop turn; the rest go on the next turns. */
  dispatchBatch: number;
  /** Tasks waiting for capacity, beyond which submit fails with OverloadedError. */
  maxQueued: number;
  /** A queued task moves up one priority level per agingMs waited. */
  agingMs: number;
  defaultTimeoutMs: number;
  /** Serve `<p>.api.*` as the NATS micro service `collector-mesh`. */
  serviceApi: boolean;
  /**
   * Take only results signed by the key their collector advertises (ed25519, `Mesh-Signature`);
   * unsigned and badly signed ones are dropped and counted (`stats().coordinator.rejected`), and
   * collectors that advertise no key are not routed to. Library submits on a durable coordinator
   * check the stored records the same way.
   */
  verify: boolean;
  /**
   * Durable coordination in JetStream: submissions stored before they are accepted, owned by one
   * coordinator at a time and taken over when it dies, results stored by correlation id. true
   * requires JetStream; false is the in-memory fast path; undefined (the default) is durable
   * whenever the server has JetStream.
   */
  durable: boolean | undefined;
  /** Durable streams and takeover (replicas, ack wait, result retention); see durable/options.ts. */
  durability: Partial<DurableOptions>;
  /** Hunts this coordinator runs while it leads the mesh (see hunts/options.ts); false: none. */
  hunts: Partial<HuntRunnerOptions> | false;
  /** Who library (and api) submits are from: their results subject's owner (default: the id). */
  owner: string | undefined;
  /** Router options (suspectAfterMs, confidenceRefreshMs, forgetAfterMs); see router/options.ts. */
  router: Partial<RouterOptions>;
  /**
   * How the advert bucket is read: `batchAbove` (from 1,000 collectors, in batches) and
   * `batchIntervalMs` (every 100 ms); see router/options.ts.
   */
  adverts: AdvertReading;
  /** Balancer options (failoverThreshold, ejection, capacity); see balancer/options.ts. */
  balancer: Partial<BalancerOptions>;
  /** Aggregator options (dedup, retained results, stream buffers); see aggregator/options.ts. */
  aggregator: Partial<AggregatorOptions>;
  logger: Logger;
  /** Event-time observations for a metrics backend (Prometheus in the CLI). */
  metrics: CoordinatorMetrics;
  clock: Clock;
  rng: Rng;
}

export type CoordinatorInit = Pick<CoordinatorOptions, "nc"> &
  Partial<Omit<CoordinatorOptions, "nc">>;

export type AdvertReading = Partial<Pick<RouterWatcherOptions, "batchAbove" | "batchIntervalMs">>;

/** The coordinator's defaults (every component's own stay in its options.ts). */
export function defaultCoordinatorOptions(): Omit<CoordinatorOptions, "nc" | "id"> {
  return {
    prefix: DEFAULT_PREFIX,
    strategy: undefined,
    advertTtlMs: DEFAULT_ADVERT_TTL_MS,
    attemptTimeoutMs: DEFAULT_ATTEMPT_TIMEOUT_MS,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    sweepIntervalMs: DEFAULT_SWEEP_INTERVAL_MS,
    routerSweepMs: ROUTER_SWEEP_MS,
    probeCooldownMs: DEFAULT_PROBE_COOLDOWN_MS,
    probeTimeoutMs: DEFAULT_PROBE_TIMEOUT_MS,
    probeConfirmMs: DEFAULT_PROBE_CONFIRM_MS,
    panicThreshold: DEFAULT_PANIC_THRESHOLD,
    lagToleranceMs: DEFAULT_LAG_TOLERANCE_MS,
    silentAfterMs: DEFAULT_SILENT_AFTER_MS,
    maxProbesPerSweep: DEFAULT_MAX_PROBES_PER_SWEEP,
    dispatchBatch: DEFAULT_DISPATCH_BATCH,
    maxQueued: DEFAULT_MAX_QUEUED,
    agingMs: DEFAULT_AGING_MS,
    defaultTimeoutMs: DEFAULT_SUBMIT_TIMEOUT_MS,
    serviceApi: true,
    verify: false,
    durable: undefined,
    durability: {},
    hunts: {},
    owner: undefined,
    router: {},
    adverts: {},
    balancer: {},
    aggregator: {},
    logger: silentLogger,
    metrics: noopMetrics,
    clock: systemClock,
    rng: Math.random,
  };
}

const KNOWN = [
  "nc",
  "id",
  ...Object.keys(defaultCoordinatorOptions()),
] as const satisfies readonly string[];

const POSITIVE_INTEGERS = [
  "advertTtlMs",
  "attemptTimeoutMs",
  "maxAttempts",
  "sweepIntervalMs",
  "routerSweepMs",
  "probeCooldownMs",
  "probeTimeoutMs",
  "probeConfirmMs",
  "lagToleranceMs",
  "silentAfterMs",
  "maxProbesPerSweep",
  "dispatchBatch",
  "maxQueued",
  "agingMs",
  "defaultTimeoutMs",
] as const;

/** Merges `init` over the defaults and checks it once; unknown keys are refused. */
export function parseCoordinatorOptions(init: CoordinatorInit): CoordinatorOptions {
  rejectUnknownKeys("coordinator", init, KNOWN);
  const o: CoordinatorOptions = {
    id: `coord-${randomId(10)}`,
    ...defaultCoordinatorOptions(),
    ...(stripUndefined(init) as CoordinatorInit),
  };
  if (!o.nc) throw new InvalidArgumentError("nc", "is required");
  checkToken("coordinator id", o.id);
  checkPrefix(o.prefix);
  if (o.owner !== undefined) checkToken("owner", o.owner);
  for (const k of POSITIVE_INTEGERS) {
    const v = o[k];
    if (!Number.isInteger(v) || v < 1) {
      throw new InvalidArgumentError(k, `must be a positive integer, got ${String(v)}`);
    }
  }
  rejectUnknownKeys("adverts", o.adverts, ["batchAbove", "batchIntervalMs"]);
  const share = o.panicThreshold;
  if (typeof share !== "number" || !(share > 0 && share <= 1)) {
    throw new InvalidArgumentError("panicThreshold", `must be in (0, 1], got ${String(share)}`);
  }
  return o;
}
