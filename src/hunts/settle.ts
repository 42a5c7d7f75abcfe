import { decode, encode } from "../codec.js";
import { HuntPartResult, ErrorCode } from "../../subjects/index.js";
import type { HuntClaim, HuntRecord, Result } from "../../subjects/index.js";
import type { HuntStore } from "./store.js";
import type { PartOutcome } from "./types.js";

/** A part's record in the results stream: its outcome and as many results as fit `maxBytes`. */
export function storedResult(
  h: HuntRecord,
  claim: HuntClaim,
  outcome: PartOutcome,
  at: number,
  maxBytes: number,
): HuntPartResult {
  const base = {
    huntId: h.huntId,
    collectorId: claim.collectorId,
    incarnation: claim.incarnation,
    runs: claim.runs,
    state: outcome.state,
    ...(outcome.code !== undefined ? { code: outcome.code } : {}),
    at,
  };
  let results: Result[] = [...outcome.results];
  let truncated = false;
  while (results.length > 0 && encode(HuntPartResult, { ...base, results }).length > maxBytes) {
    results = results.slice(0, Math.floor(results.length / 2));
    truncated = true;
  }
  return { ...base, results, ...(truncated ? { truncated } : {}) };
}

/** The claim once its part ended. */
export function settledClaim(claim: HuntClaim, outcome: PartOutcome, at: number): HuntClaim {
  const { code: _old, ...rest } = claim;
  return {
    ...rest,
    state: outcome.state,
    ...(outcome.code !== undefined ? { code: outcome.code } : {}),
    finishedAt: at,
  };
}

/**
 * A claim a coordinator left `sent` past its deadline (it died, or lost the lease and then its
 * connection): what the results stream holds for this run decides it; without a record it is
 * `lost` (code UNAVAILABLE). It is not sent again to the same incarnation, since it may have run
 * there: a part runs at most once per incarnation, and again only when the collector restarts.
 */
export async function judgeOrphan(
  store: HuntStore,
  stream: string,
  subject: string,
  claim: HuntClaim,
  now: number,
): Promise<HuntClaim> {
  try {
    const m = await store.jsm.streams.getMessage(stream, { last_by_subj: subject });
    if (m) {
      const r = decode(HuntPartResult, m.data);
      if (r.runs === claim.runs) {
        return settledClaim(claim, { state: r.state, code: r.code, results: [] }, r.at);
      }
    }
  } catch {
    // no record (or none readable): lost
  }
  return settledClaim(claim, { state: "lost", code: ErrorCode.Unavailable, results: [] }, now);
}
