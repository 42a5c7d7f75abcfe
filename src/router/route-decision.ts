import { formatCaps } from "../../subjects/index.js";
import { NoCapableCollectorError } from "../errors.js";
import type { Candidate, RoutingDecision } from "./types.js";

/**
 * A routeTask answer; its fallbacks are made when read (most callers take the best only), from
 * the scored list as it is then (heartbeats re-place their collectors in it).
 */
export class Decision implements RoutingDecision {
  readonly collectorId: string;
  readonly targetSubject: string;
  readonly confidence: number;
  readonly #scored: { readonly candidates: readonly Candidate[] };

  constructor(
    best: Candidate,
    targetSubject: string,
    scored: { readonly candidates: readonly Candidate[] },
  ) {
    this.collectorId = best.id;
    this.targetSubject = targetSubject;
    this.confidence = best.confidence;
    this.#scored = scored;
  }

  get fallbacks(): Candidate[] {
    return this.#scored.candidates.filter((c) => c.id !== this.collectorId);
  }
}

export function noCapableError(required: number, capable: number): NoCapableCollectorError {
  const caps = formatCaps(required);
  const err = new NoCapableCollectorError(required, caps);
  if (capable > 0) {
    err.message = `no available collector for ${caps}: all ${capable} advertising it are unavailable`;
  }
  return err;
}

export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Best first: confidence descending, then id ascending. */
export function bestFirst(a: Candidate, b: Candidate): number {
  return b.confidence - a.confidence || byString(a.id, b.id);
}
