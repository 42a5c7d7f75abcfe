import { CollectorHealth } from "../../subjects/index.js";

/**
 * Routing confidence, in (0, 1]: health factor × heartbeat freshness × load factor.
 *
 * - health: Healthy 1.0, Degraded 0.5 (Unavailable is never routed; its confidence is 0);
 * - freshness: max(0.5, 1 − age / timeout), or 0.1 once the advert is older than the timeout.
 *   The age is measured on the router's clock since the advert was applied, never from the
 *   collector's own heartbeatAt, so clock skew between hosts does not matter;
 * - load: 1 − inFlight / maxConcurrency as advertised, floored at 0.05 so that a saturated
 *   instance still ranks (last) as a fallback rather than vanishing.
 */

export const HEALTH_FACTOR: Readonly<Record<CollectorHealth, number>> = {
  [CollectorHealth.Healthy]: 1,
  [CollectorHealth.Degraded]: 0.5,
  [CollectorHealth.Unavailable]: 0,
};
export const MIN_FRESHNESS = 0.5;
export const STALE_FRESHNESS = 0.1;
export const MIN_LOAD_FACTOR = 0.05;

export function freshness(ageMs: number, timeoutMs: number): number {
  if (ageMs > timeoutMs) return STALE_FRESHNESS;
  if (ageMs <= 0) return 1;
  return Math.max(MIN_FRESHNESS, 1 - ageMs / timeoutMs);
}

export function loadFactor(inFlight: number, maxConcurrency: number): number {
  if (maxConcurrency <= 0) return MIN_LOAD_FACTOR;
  return Math.max(MIN_LOAD_FACTOR, 1 - inFlight / maxConcurrency);
}

export function confidence(
  health: CollectorHealth,
  ageMs: number,
  timeoutMs: number,
  inFlight: number,
  maxConcurrency: number,
): number {
  const h = HEALTH_FACTOR[health];
  if (h === 0) return 0;
  return h * freshness(ageMs, timeoutMs) * loadFactor(inFlight, maxConcurrency);
}
