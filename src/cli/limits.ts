/**
 * Bounds of the command's options, in one place. Values the wire contract also bounds are the
 * contract's (SubmitRequest, CollectorAdvert); test/cli/limits.test.ts checks that they agree, so
 * that a value the command accepts is never refused later in schema words.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A task's deadline (`submit --timeout`): SubmitRequest.timeoutMs allows 1 ms to 1 h. */
export const TASK_TIMEOUT = { min: 1, max: HOUR } as const;
/** Results to wait for (`submit --expected`): SubmitRequest.expected allows 1 to 10,000. */
export const MAX_EXPECTED = 10_000;
/**
 * How often a running task tells its coordinator it is alive: the collector SDK's
 * DEFAULT_PROGRESS_MS, which the reference collectors and the Rust collector use too (not imported,
 * to keep the command's start light; test/cli/limits.test.ts checks that they agree). The first
 * message comes up to two periods after the task starts.
 */
export const COLLECTOR_PROGRESS_MS = SECOND;
/**
 * An attempt must outlive the first progress message and then one period, or every task that runs
 * longer is sent again (and fails after the last attempt) while its collector still works on it.
 */
export const ATTEMPT_PER_PROGRESS = 3;
/** One attempt (`coordinator --attempt-timeout`). */
export const ATTEMPT_TIMEOUT = {
  min: ATTEMPT_PER_PROGRESS * COLLECTOR_PROGRESS_MS,
  max: HOUR,
} as const;
/** Heartbeat interval of the collectors (`collector --heartbeat`, `coordinator --heartbeat`). */
export const HEARTBEAT = { min: 100, max: 10 * MINUTE } as const;
/** Advert TTL (`--advert-ttl`): at least TTL_PER_HEARTBEAT heartbeats, at most an hour. */
export const ADVERT_TTL = { min: 200, max: HOUR } as const;
/**
 * An advert must outlive this many heartbeats, or a single late heartbeat makes a healthy
 * collector stale (and its next one recovers it: an event storm for nothing).
 */
export const TTL_PER_HEARTBEAT = 2;
/** `coordinator --grace`. */
export const GRACE = { min: 1, max: 10 * MINUTE } as const;
/** `collector --max-concurrency`: CollectorAdvert.maxConcurrency allows 1 to 100,000. */
export const MAX_CONCURRENCY = 100_000;
/** `demo --tasks`. */
export const MAX_DEMO_TASKS = 1_000_000;
/** Labels of an advert (`collector --label`), as CollectorAdvert allows. */
export const LABELS = { max: 32, keyLength: 64, valueLength: 256 } as const;
/** `fsmond --roots`. */
export const MAX_ROOTS = 64;
