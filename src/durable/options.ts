import { mergeOptions, positiveInt } from "../options.js";

/** Ack wait of the submission consumers: a dead owner's submissions move after this long. */
export const DEFAULT_TAKEOVER_MS = 2000;
/** How long results stay readable after they arrive (one hour). */
export const DEFAULT_RESULTS_MAX_AGE_MS = 3_600_000;
/** Most bytes of results the stream keeps; the oldest go first (1 GiB). */
export const DEFAULT_RESULTS_MAX_BYTES = 1024 * 1024 * 1024;
/** Most submissions waiting in the stream; past it a submit is refused (OVERLOADED). */
export const DEFAULT_MAX_SUBMISSIONS = 1_000_000;
/** Submissions of one priority a coordinator holds at once (taken from the stream, not done). */
export const DEFAULT_MAX_OWNED_PER_PRIORITY = 2048;
/** Un-acked submissions per priority across all coordinators. */
export const DEFAULT_MAX_PENDING_PER_PRIORITY = 20_000;
/** A resubmit with the same correlation id within this window is the same submission. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

export interface DurableOptions {
  /** Stream replicas (default: the cluster size, up to 3; 1 for a single server). */
  replicas: number | undefined;
  takeoverMs: number;
  resultsMaxAgeMs: number;
  resultsMaxBytes: number;
  maxSubmissions: number;
  maxOwnedPerPriority: number;
  maxPendingPerPriority: number;
  duplicateWindowMs: number;
}

export function defaultDurableOptions(): DurableOptions {
  return {
    replicas: undefined,
    takeoverMs: DEFAULT_TAKEOVER_MS,
    resultsMaxAgeMs: DEFAULT_RESULTS_MAX_AGE_MS,
    resultsMaxBytes: DEFAULT_RESULTS_MAX_BYTES,
    maxSubmissions: DEFAULT_MAX_SUBMISSIONS,
    maxOwnedPerPriority: DEFAULT_MAX_OWNED_PER_PRIORITY,
    maxPendingPerPriority: DEFAULT_MAX_PENDING_PER_PRIORITY,
    duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS,
  };
}

/** Merges `partial` over the defaults and checks it once; unknown keys are refused. */
export function parseDurableOptions(partial: Partial<DurableOptions> = {}): DurableOptions {
  const o = mergeOptions("durable", defaultDurableOptions(), partial, "numbers");
  if (o.replicas !== undefined) positiveInt("replicas", o.replicas);
  return o;
}
