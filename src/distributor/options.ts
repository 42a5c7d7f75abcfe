import { nuid } from "@nats-io/nats-core";
import { InvalidArgumentError } from "../errors.js";
import { mergeOptions } from "../options.js";
import type { DistributorOptions } from "./types.js";

export const DEFAULT_MAX_QUEUED = 100_000;
export const DEFAULT_AGING_MS = 1000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_LATENCY_SAMPLES = 2048;
/** Longest task timeout accepted (one day). */
export const MAX_TIMEOUT_MS = 86_400_000;

/** nuid: 22 base62 characters, a subject token, about 50 ns each. */
export const defaultNewId = (): string => nuid.next();

export function defaultDistributorOptions(): DistributorOptions {
  return {
    maxQueued: DEFAULT_MAX_QUEUED,
    agingMs: DEFAULT_AGING_MS,
    defaultTimeoutMs: DEFAULT_TIMEOUT_MS,
    latencySamples: DEFAULT_LATENCY_SAMPLES,
    newId: defaultNewId,
  };
}

/** Merges `partial` over the defaults and validates once. */
export function parseDistributorOptions(
  partial: Partial<DistributorOptions> = {},
): DistributorOptions {
  const o = mergeOptions("distributor", defaultDistributorOptions(), partial, [
    "maxQueued",
    "latencySamples",
  ]);
  if (!(typeof o.agingMs === "number" && o.agingMs > 0)) {
    throw new InvalidArgumentError("agingMs", "must be a positive number or Infinity");
  }
  checkTimeout("defaultTimeoutMs", o.defaultTimeoutMs);
  if (o.latencySamples > 1_000_000) {
    throw new InvalidArgumentError("latencySamples", "must be at most 1,000,000");
  }
  if (typeof o.newId !== "function") throw new InvalidArgumentError("newId", "must be a function");
  return o;
}

/** A timeout is a whole number of milliseconds in [1, MAX_TIMEOUT_MS]. */
export function checkTimeout(property: string, ms: unknown): number {
  if (!Number.isInteger(ms) || (ms as number) < 1 || (ms as number) > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(property, `must be an integer from 1 to ${MAX_TIMEOUT_MS} ms`);
  }
  return ms as number;
}
