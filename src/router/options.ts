import { InvalidArgumentError } from "../errors.js";
import { mergeOptions } from "../options.js";
import { silentLogger, type Logger } from "../telemetry/logger.js";
import { systemClock, type Clock } from "../clock.js";
import { checkPrefix, DEFAULT_PREFIX } from "../../subjects/index.js";
import type { AdvertiserOptions, RouterOptions, RouterWatcherOptions } from "./types.js";

/**
 * Advert TTL: the bucket's max age and the router's heartbeat timeout. 30 s, as in the system this
 * replaces: an advert is cheap to keep alive (a put per refresh, see DEFAULT_REFRESH_FRACTION),
 * and an instance that dies with work is found in about a second by no-responders and probes,
 * not by its advert's age.
 */
export const DEFAULT_ADVERT_TTL_MS = 30_000;
/**
 * A collector refreshes its advert every TTL × this (15 s for the default TTL), with jitter, and
 * puts it at once when something changes (health, load crossing a level). Half, not less: each
 * refresh costs every coordinator a message to decode (about 50 µs of CPU; at 10,000 collectors
 * a third of the TTL would cost a coordinator 7 % of a core idle, half costs 5 %), and a refresh
 * that is lost costs nothing worse than a probe: an overdue collector is probed before it is
 * judged, and one that answers stays.
 */
export const DEFAULT_REFRESH_FRACTION = 1 / 2;
/** Collector advert refresh period (`heartbeatMs`): TTL × DEFAULT_REFRESH_FRACTION, 15 s. */
export const DEFAULT_HEARTBEAT_MS = Math.round(DEFAULT_ADVERT_TTL_MS * DEFAULT_REFRESH_FRACTION);
/** Refreshes are spread by ± this share of the period, so that a fleet started at once does not put in step. */
export const DEFAULT_REFRESH_JITTER = 0.1;
/** Least time between two puts made because something changed (a burst of changes makes one put). */
export const DEFAULT_CHANGE_INTERVAL_MS = 1000;
/** Share of the TTL after which a silent collector is suspect: 1.5 refresh periods. */
export const SUSPECT_FRACTION = 0.75;
/** 22.5 s: one refresh missed. */
export const DEFAULT_SUSPECT_AFTER_MS = DEFAULT_ADVERT_TTL_MS * SUSPECT_FRACTION;
export const DEFAULT_FORGET_AFTER_MS = 60_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 250;
export const DEFAULT_INIT_TIMEOUT_MS = 5000;
/**
 * A fleet this large has its adverts read in batches (discovery/batched-watch.ts): at 10,000
 * collectors, 650 refreshes a second arrive one at a time, each a wake-up of the coordinator that
 * costs more than decoding the advert; read every 100 ms, they cost a few wake-ups a tenth of a
 * second. A smaller fleet has its adverts pushed, each seen at once.
 */
export const DEFAULT_BATCH_ABOVE = 1000;
export const DEFAULT_BATCH_INTERVAL_MS = 100;

/** The refresh period that goes with an advert TTL: `ttlMs` × DEFAULT_REFRESH_FRACTION. */
export function refreshPeriodFor(ttlMs: number): number {
  return Math.max(1, Math.round(ttlMs * DEFAULT_REFRESH_FRACTION));
}

export function defaultRouterOptions(): RouterOptions {
  return {
    prefix: DEFAULT_PREFIX,
    heartbeatTimeoutMs: DEFAULT_ADVERT_TTL_MS,
    suspectAfterMs: DEFAULT_SUSPECT_AFTER_MS,
    forgetAfterMs: DEFAULT_FORGET_AFTER_MS,
  };
}

function positive(prop: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new InvalidArgumentError(prop, `must be a positive number of milliseconds, got ${v}`);
  }
  return v;
}

/** A number of collectors: a positive integer, or Infinity (never). */
function fleetSize(prop: string, v: number): number {
  if (v !== Infinity && !(Number.isInteger(v) && v > 0)) {
    throw new InvalidArgumentError(prop, `must be a positive integer or Infinity, got ${v}`);
  }
  return v;
}

function nonNegative(prop: string, v: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(
      prop,
      `must be 0 or a positive number of milliseconds, got ${v}`,
    );
  }
  return v;
}

/**
 * Merges `partial` over the defaults and validates once. When only heartbeatTimeoutMs is given,
 * suspectAfterMs defaults to SUSPECT_FRACTION of it (22.5 s for the default 30 s: one refresh
 * missed).
 */
export function parseRouterOptions(partial: Partial<RouterOptions> = {}): RouterOptions {
  const o = mergeOptions("router", defaultRouterOptions(), partial);
  o.prefix = checkPrefix(o.prefix);
  positive("heartbeatTimeoutMs", o.heartbeatTimeoutMs);
  if (partial.suspectAfterMs === undefined) {
    o.suspectAfterMs = o.heartbeatTimeoutMs * SUSPECT_FRACTION;
  }
  positive("suspectAfterMs", o.suspectAfterMs);
  if (o.suspectAfterMs >= o.heartbeatTimeoutMs) {
    throw new InvalidArgumentError(
      "suspectAfterMs",
      `must be less than heartbeatTimeoutMs (${o.heartbeatTimeoutMs}), got ${o.suspectAfterMs}`,
    );
  }
  nonNegative("forgetAfterMs", o.forgetAfterMs);
  if (o.forgetAfterMs !== 0 && o.forgetAfterMs < o.heartbeatTimeoutMs) {
    throw new InvalidArgumentError(
      "forgetAfterMs",
      `must be 0 (never) or at least heartbeatTimeoutMs (${o.heartbeatTimeoutMs}), got ${o.forgetAfterMs}`,
    );
  }
  return o;
}

export type ResolvedWatcherOptions = Required<RouterWatcherOptions> & { logger: Logger };

export function parseWatcherOptions(partial: RouterWatcherOptions = {}): ResolvedWatcherOptions {
  const o: ResolvedWatcherOptions = {
    prefix: checkPrefix(partial.prefix ?? DEFAULT_PREFIX),
    ttlMs: positive("ttlMs", partial.ttlMs ?? DEFAULT_ADVERT_TTL_MS),
    sweepIntervalMs: nonNegative(
      "sweepIntervalMs",
      partial.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
    ),
    logger: partial.logger ?? silentLogger,
    publishEvents: partial.publishEvents ?? true,
    observedBy: partial.observedBy ?? "",
    marksStale: partial.marksStale ?? true,
    clock: partial.clock ?? systemClock,
    initTimeoutMs: positive("initTimeoutMs", partial.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS),
    refuse: partial.refuse ?? (() => undefined),
    batchAbove: fleetSize("batchAbove", partial.batchAbove ?? DEFAULT_BATCH_ABOVE),
    batchIntervalMs: positive(
      "batchIntervalMs",
      partial.batchIntervalMs ?? DEFAULT_BATCH_INTERVAL_MS,
    ),
  };
  return o;
}

export type ResolvedAdvertiserOptions = Required<AdvertiserOptions> & {
  logger: Logger;
  clock: Clock;
};

export function parseAdvertiserOptions(partial: AdvertiserOptions): ResolvedAdvertiserOptions {
  if (typeof partial?.advert !== "function") {
    throw new InvalidArgumentError("advert", "must be a function returning the current advert");
  }
  const ttlMs = positive("ttlMs", partial.ttlMs ?? DEFAULT_ADVERT_TTL_MS);
  const o: ResolvedAdvertiserOptions = {
    advert: partial.advert,
    prefix: checkPrefix(partial.prefix ?? DEFAULT_PREFIX),
    ttlMs,
    heartbeatMs: positive("heartbeatMs", partial.heartbeatMs ?? refreshPeriodFor(ttlMs)),
    changeIntervalMs: nonNegative(
      "changeIntervalMs",
      partial.changeIntervalMs ?? DEFAULT_CHANGE_INTERVAL_MS,
    ),
    jitter: partial.jitter ?? DEFAULT_REFRESH_JITTER,
    logger: partial.logger ?? silentLogger,
    clock: partial.clock ?? systemClock,
  };
  if (o.heartbeatMs >= o.ttlMs) {
    throw new InvalidArgumentError(
      "heartbeatMs",
      `must be less than ttlMs (${o.ttlMs}) or the advert expires between refreshes, got ${o.heartbeatMs}`,
    );
  }
  if (!(o.jitter >= 0 && o.jitter < 0.5)) {
    throw new InvalidArgumentError("jitter", `must be in [0, 0.5), got ${o.jitter}`);
  }
  if (o.heartbeatMs * (1 + o.jitter) >= o.ttlMs) {
    throw new InvalidArgumentError(
      "heartbeatMs",
      `with ${o.jitter} jitter a refresh may come after ttlMs (${o.ttlMs}), got ${o.heartbeatMs}`,
    );
  }
  return o;
}
