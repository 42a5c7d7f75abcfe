import type { ErrorCode, HuntRecord, PartState, Result } from "../../subjects/index.js";

/** How a part ended: its state, the error code of an error, and its results. */
export interface PartOutcome {
  readonly state: Exclude<PartState, "sent">;
  readonly code?: ErrorCode;
  readonly results: readonly Result[];
  /** The part never went out (its collector was not routable then): it waits for it again. */
  readonly notReached?: boolean;
}

/**
 * How a part runs: one task for one collector, with the hunt's payload and deadline. The
 * coordinator's implementation is an in-memory submit targeted at that collector (the hunt
 * itself is the durable thing). Never rejects for a task's failure: the outcome says it.
 */
export interface PartPort {
  run(collectorId: string, hunt: HuntRecord, signal: AbortSignal): Promise<PartOutcome>;
}
