import type { StrategyCandidate } from "../types.js";

/**
 * `a` sorts before `b` by id: the one order every strategy breaks ties with. Uses the balancer's
 * ranks when both have one (a number comparison instead of a string comparison, the same order).
 */
export function idBefore(a: StrategyCandidate, b: StrategyCandidate): boolean {
  const ra = a.rank;
  const rb = b.rank;
  return ra !== undefined && rb !== undefined ? ra < rb : a.id < b.id;
}
