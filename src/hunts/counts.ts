import type { HuntClaim } from "../../subjects/index.js";

/** How a hunt's parts stand. */
export interface PartCounts {
  /** Parts sent (claims), in any state. */
  claimed: number;
  sent: number;
  ok: number;
  error: number;
  timedOut: number;
  lost: number;
  cancelled: number;
}

export function tally(claims: Iterable<Pick<HuntClaim, "state">>): PartCounts {
  const c: PartCounts = {
    claimed: 0,
    sent: 0,
    ok: 0,
    error: 0,
    timedOut: 0,
    lost: 0,
    cancelled: 0,
  };
  for (const { state } of claims) {
    c.claimed++;
    if (state === "sent") c.sent++;
    else if (state === "ok") c.ok++;
    else if (state === "error") c.error++;
    else if (state === "timed_out") c.timedOut++;
    else if (state === "lost") c.lost++;
    else c.cancelled++;
  }
  return c;
}

/** The numbers of a progress line: targeted, answered, errors, pending, and an ETA. */
export interface HuntProgress {
  targeted: number;
  answered: number;
  errors: number;
  pending: number;
  /** Seconds until every targeted collector has answered at the pace so far; undefined if unknown. */
  etaSec: number | undefined;
}

/**
 * Progress from the counts, the matching collectors the leader reported, and when the first part
 * was sent. A collector counts as answered once its part ended ok, errors once it ended otherwise.
 */
export function progressOf(
  counts: PartCounts,
  matched: number | undefined,
  firstSentAt: number | undefined,
  now: number,
): HuntProgress {
  const answered = counts.ok;
  const errors = counts.error + counts.timedOut + counts.lost + counts.cancelled;
  const targeted = Math.max(matched ?? 0, counts.claimed);
  const pending = targeted - answered - errors;
  const done = answered + errors;
  let etaSec: number | undefined;
  if (pending === 0 && targeted > 0) etaSec = 0;
  else if (done > 0 && firstSentAt !== undefined && now > firstSentAt) {
    etaSec = Math.ceil((pending * (now - firstSentAt)) / done / 1000);
  }
  return { targeted, answered, errors, pending, etaSec };
}
