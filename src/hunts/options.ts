import { InvalidArgumentError } from "../../subjects/index.js";
import { MAX_HUNT_LIFE_MS, MAX_HUNT_RATE_PER_SEC } from "../../subjects/index.js";
import { mergeOptions, positiveInt, positiveInts, stripUndefined } from "../options.js";

/** How long a hunt lives unless it says otherwise (24 h; at most MAX_HUNT_LIFE_MS, 7 days). */
export const DEFAULT_HUNT_LIFE_MS = 86_400_000;
/** Deadline of each part of a hunt. */
export const DEFAULT_HUNT_PART_TIMEOUT_MS = 30_000;
/** New parts per second, fleet-wide. */
export const DEFAULT_HUNT_RATE_PER_SEC = 50;
/** Pause when more than this share of the finished parts failed or timed out... */
export const DEFAULT_HUNT_MAX_ERROR_RATE = 0.5;
/** ...once at least this many parts have finished since the last resume. */
export const DEFAULT_HUNT_MIN_PARTS = 10;
/** A part still `sent` this long after its deadline (its coordinator died) is judged. */
export const DEFAULT_HUNT_JUDGE_GRACE_MS = 5000;
/** Most bytes of hunt records kept: past it a new hunt is refused until hunts expire (256 MiB). */
export const DEFAULT_HUNT_RECORDS_MAX_BYTES = 256 * 1024 * 1024;
/** Most bytes of claims kept: past it a hunt pauses, saying so, instead of sending parts (1 GiB). */
export const DEFAULT_HUNT_CLAIMS_MAX_BYTES = 1024 * 1024 * 1024;
/** Most bytes the hunt results stream keeps; the oldest go first (1 GiB). */
export const DEFAULT_HUNT_RESULTS_MAX_BYTES = 1024 * 1024 * 1024;
/** How long a part's results stay: the longest hunt life and a day. */
export const DEFAULT_HUNT_RESULTS_MAX_AGE_MS = MAX_HUNT_LIFE_MS + 86_400_000;
/** How often the runner plans (starts parts, judges, pauses, expires). */
export const DEFAULT_HUNT_TICK_MS = 100;
/** How often the leader writes the count of matching collectors into a hunt's record, at most. */
export const DEFAULT_HUNT_MATCHED_EVERY_MS = 1000;
/** How often the leader reads how full the claims bucket is, besides after starting parts. */
export const DEFAULT_HUNT_ROOM_EVERY_MS = 1000;
/** Bytes of a part's results stored in one stream message (a server's max_payload is 1 MiB). */
export const DEFAULT_HUNT_PART_MAX_BYTES = 900 * 1024;

/** What a hunt asks for, besides its task: the defaults above fill what is left out. */
export interface HuntLimits {
  lifeMs: number;
  timeoutMs: number;
  ratePerSec: number;
  maxErrorRate: number;
  minParts: number;
}

export function defaultHuntLimits(): HuntLimits {
  return {
    lifeMs: DEFAULT_HUNT_LIFE_MS,
    timeoutMs: DEFAULT_HUNT_PART_TIMEOUT_MS,
    ratePerSec: DEFAULT_HUNT_RATE_PER_SEC,
    maxErrorRate: DEFAULT_HUNT_MAX_ERROR_RATE,
    minParts: DEFAULT_HUNT_MIN_PARTS,
  };
}

/** Merges `partial` over the defaults and checks it once. */
export function parseHuntLimits(partial: Partial<HuntLimits> = {}): HuntLimits {
  const o = { ...defaultHuntLimits(), ...stripUndefined(partial) };
  positiveInts(o, ["timeoutMs", "minParts"]);
  if (!(o.lifeMs > 0 && o.lifeMs <= MAX_HUNT_LIFE_MS)) {
    throw new InvalidArgumentError("lifeMs", `must be in (0, ${MAX_HUNT_LIFE_MS}] (7 days)`);
  }
  if (!(o.ratePerSec >= 0.01 && o.ratePerSec <= MAX_HUNT_RATE_PER_SEC)) {
    throw new InvalidArgumentError("ratePerSec", `must be in [0.01, ${MAX_HUNT_RATE_PER_SEC}]`);
  }
  if (!(o.maxErrorRate >= 0 && o.maxErrorRate <= 1)) {
    throw new InvalidArgumentError("maxErrorRate", "must be in [0, 1]");
  }
  return o;
}

/** The runner's settings (a coordinator's `hunts` option). */
export interface HuntRunnerOptions {
  judgeGraceMs: number;
  recordsMaxBytes: number;
  claimsMaxBytes: number;
  resultsMaxBytes: number;
  resultsMaxAgeMs: number;
  tickMs: number;
  matchedEveryMs: number;
  roomEveryMs: number;
  partMaxBytes: number;
  /** Stream and bucket replicas (default: the cluster size, up to 3). */
  replicas: number | undefined;
}

export function defaultHuntRunnerOptions(): HuntRunnerOptions {
  return {
    judgeGraceMs: DEFAULT_HUNT_JUDGE_GRACE_MS,
    recordsMaxBytes: DEFAULT_HUNT_RECORDS_MAX_BYTES,
    claimsMaxBytes: DEFAULT_HUNT_CLAIMS_MAX_BYTES,
    resultsMaxBytes: DEFAULT_HUNT_RESULTS_MAX_BYTES,
    resultsMaxAgeMs: DEFAULT_HUNT_RESULTS_MAX_AGE_MS,
    tickMs: DEFAULT_HUNT_TICK_MS,
    matchedEveryMs: DEFAULT_HUNT_MATCHED_EVERY_MS,
    roomEveryMs: DEFAULT_HUNT_ROOM_EVERY_MS,
    partMaxBytes: DEFAULT_HUNT_PART_MAX_BYTES,
    replicas: undefined,
  };
}

export function parseHuntRunnerOptions(
  partial: Partial<HuntRunnerOptions> = {},
): HuntRunnerOptions {
  const o = mergeOptions("hunts", defaultHuntRunnerOptions(), partial, "numbers");
  if (o.replicas !== undefined) positiveInt("replicas", o.replicas);
  return o;
}
