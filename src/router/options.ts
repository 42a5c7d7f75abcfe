import { InvalidArgumentError } from "../errors.js";
import { rejectUnknownKeys, stripUndefined } from "../options.js";
import { silentLogger, type Logger } from "../telemetry/logger.js";
import { systemClock, type Clock } from "../clock.js";
import { checkPrefix, DEFAULT_PREFIX } from "../../subjects/index.js";
import type { AdvertiserOptions, RouterOptions, RouterWatcherOptions } from "./types.js";

/** Advert TTL: the bucket's max age and the router's heartbeat timeout. */
export const DEFAULT_ADVERT_TTL_MS = 3000;
/** Collector heartbeat period. */
export const DEFAULT_HEARTBEAT_MS = 1000;
/** 1.5 × the heartbeat period. */
export const DEFAULT_SUSPECT_AFTER_MS = 1500;
export const DEFAULT_FORGET_AFTER_MS = 60_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 250;
export const DEFAULT_INIT_TIMEOUT_MS = 5000;

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
 * suspectAfterMs defaults to half of it (1500 ms for the default 3000 ms).
 */
export function parseRouterOptions(partial: Partial<RouterOptions> = {}): RouterOptions {
  rejectUnknownKeys("router", partial, Object.keys(defaultRouterOptions()));
  const o = { ...defaultRouterOptions(), ...stripUndefined(partial) };
  o.prefix = checkPrefix(o.prefix);
  positive("heartbeatTimeoutMs", o.heartbeatTimeoutMs);
  if (partial.suspectAfterMs === undefined) o.suspectAfterMs = o.heartbeatTimeoutMs / 2;
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
    clock: partial.clock ?? systemClock,
    initTimeoutMs: positive("initTimeoutMs", partial.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS),
    refuse: partial.refuse ?? (() => undefined),
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
  const o: ResolvedAdvertiserOptions = {
    advert: partial.advert,
    prefix: checkPrefix(partial.prefix ?? DEFAULT_PREFIX),
    ttlMs: positive("ttlMs", partial.ttlMs ?? DEFAULT_ADVERT_TTL_MS),
    heartbeatMs: positive("heartbeatMs", partial.heartbeatMs ?? DEFAULT_HEARTBEAT_MS),
    logger: partial.logger ?? silentLogger,
    clock: partial.clock ?? systemClock,
  };
  if (o.heartbeatMs >= o.ttlMs) {
    throw new InvalidArgumentError(
      "heartbeatMs",
      `must be less than ttlMs (${o.ttlMs}) or the advert expires between beats, got ${o.heartbeatMs}`,
    );
  }
  return o;
}
