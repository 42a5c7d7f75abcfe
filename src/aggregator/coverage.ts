import {
  ErrorCode,
  type InstanceOutcome,
  type InstanceState,
  type Result,
} from "../../subjects/index.js";

/** What a final error result says of its instance. */
function stateOf(code: string): InstanceState {
  switch (code) {
    case ErrorCode.CollectorLost:
      return "lost";
    case ErrorCode.Timeout:
      return "timed_out";
    case ErrorCode.Cancelled:
      return "cancelled";
    case ErrorCode.NoResponders:
    case ErrorCode.Unavailable:
      return "not_reached";
    default:
      return "error";
  }
}

/** An instance's standing while the fan-out runs: not yet sent, sent, or its final outcome. */
type Standing = "waiting" | "sent" | InstanceOutcome;

/**
 * Who a fan-out targeted and how each did: answered ok, answered with an error (its code), timed
 * out, lost (left while running it), cancelled, or not reached (never sent, or nobody listened).
 * An instance's first final result decides; until then, a part sent when the fan-out ends timed
 * out and one never sent was not reached.
 */
export class Coverage {
  readonly #by = new Map<string, Standing>();

  constructor(targets: readonly string[], notReached: readonly string[] = []) {
    for (const id of targets) this.#by.set(id, "waiting");
    for (const id of notReached) {
      this.#by.set(id, {
        collectorId: id,
        state: "not_reached",
        code: ErrorCode.NoCapableCollector,
      });
    }
  }

  /** A part went out to `collectorId`. */
  sent(collectorId: string): void {
    if (this.#by.get(collectorId) === "waiting") this.#by.set(collectorId, "sent");
  }

  /** A result was accepted: a final one settles its instance. */
  result(r: Result): void {
    if (!r.final) return;
    const cur = this.#by.get(r.collectorId);
    if (cur === undefined || typeof cur === "object") return;
    if (r.status === "ok") {
      this.#by.set(r.collectorId, { collectorId: r.collectorId, state: "ok" });
      return;
    }
    const code = r.error?.code ?? ErrorCode.Internal;
    this.#by.set(r.collectorId, { collectorId: r.collectorId, state: stateOf(code), code });
  }

  /** Every targeted instance and how it did, by id. */
  outcomes(): InstanceOutcome[] {
    const out: InstanceOutcome[] = [];
    for (const [collectorId, s] of this.#by) {
      if (typeof s === "object") out.push(s);
      else out.push({ collectorId, state: s === "sent" ? "timed_out" : "not_reached" });
    }
    return out.sort((a, b) =>
      a.collectorId < b.collectorId ? -1 : a.collectorId > b.collectorId ? 1 : 0,
    );
  }
}

/** Counts by state, for a summary line. */
export function coverageCounts(
  instances: readonly InstanceOutcome[],
): Record<InstanceState, number> {
  const n: Record<InstanceState, number> = {
    ok: 0,
    error: 0,
    timed_out: 0,
    lost: 0,
    not_reached: 0,
    cancelled: 0,
  };
  for (const i of instances) n[i.state]++;
  return n;
}
