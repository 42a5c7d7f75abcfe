import { z } from "zod";
import { Caps, ErrorCodeSchema, Id, Millis, PrioritySchema, Result } from "./schemas.js";
import { MAX_NAMED_COLLECTORS, MAX_TASK_TIMEOUT_MS } from "./schemas.js";
import { SelectorSchema } from "./selector.js";

/**
 * Hunts: a fan-out that lives in JetStream until it expires and also reaches matching collectors
 * that join or come back meanwhile, once per stable collector id.
 *
 *   KV `<p>_hunts`        key `<owner>.<huntId>`               HuntRecord (what, who, state)
 *   KV `<p>_hunt_claims`  key `<owner>.<huntId>.<collectorId>` HuntClaim (created once per collector)
 *   stream `<p>_hunt_results`, subject `<p>.hunt.<owner>.<huntId>.<collectorId>`: HuntPartResult
 *
 * Every key and subject starts with the owner, so the permission table lets a submitter write
 * and read only its own hunts. Keys are KV keys: tokens outside `[A-Za-z0-9_-]` are encoded
 * (see kvToken).
 */

/** Longest hunt life: seven days. */
export const MAX_HUNT_LIFE_MS = 7 * 86_400_000;
/** Highest rate of new parts a hunt may ask for. */
export const MAX_HUNT_RATE_PER_SEC = 100_000;
/** Results of one part kept in the results stream (more are cut; `truncated` says so). */
export const MAX_HUNT_PART_RESULTS = 10_000;
/** A hunt id: a KV-key-safe token. */
export const HUNT_ID_RE = /^[A-Za-z0-9_-]{1,128}$/;

export const HuntId = z
  .string()
  .regex(HUNT_ID_RE, "must be 1 to 128 of A-Z a-z 0-9 _ -")
  .meta({ maxLength: 128, minLength: 1 });

export const HuntState = z.enum(["running", "paused", "stopped", "expired"]);
export type HuntState = z.infer<typeof HuntState>;

/** A part's state in its claim: sent (running), then how it ended. */
export const PartState = z.enum(["sent", "ok", "error", "timed_out", "lost", "cancelled"]);
export type PartState = z.infer<typeof PartState>;

/** KV `<p>_hunts`, key `<owner>.<huntId>`: a hunt, its safety valves and its state. */
export const HuntRecord = z.object({
  huntId: HuntId,
  /** Who started it: the owner token of its key (a record whose key says otherwise is refused). */
  createdBy: Id,
  createdAt: Millis,
  /** After this no part starts; at most MAX_HUNT_LIFE_MS after createdAt. */
  expiresAt: Millis,
  requiredCapabilities: Caps,
  priority: PrioritySchema,
  payload: z.unknown().optional(),
  /** Deadline of each part. */
  timeoutMs: z.number().int().min(1).max(MAX_TASK_TIMEOUT_MS),
  where: SelectorSchema.optional(),
  collectors: z.array(Id).min(1).max(MAX_NAMED_COLLECTORS).optional(),
  /** New parts per second, fleet-wide. */
  ratePerSec: z.number().min(0.01).max(MAX_HUNT_RATE_PER_SEC),
  /** Pause when errors and timeouts pass this share of the parts finished since the last resume. */
  maxErrorRate: z.number().min(0).max(1),
  /** ... once at least this many have finished since then. */
  minParts: z.number().int().min(1).max(100_000),
  state: HuntState,
  /** Why it is paused, stopped or expired (visible in `hunt show`). */
  reason: z.string().max(1024).optional(),
  stateAt: Millis,
  /** Who changed the state last: an owner, or a coordinator id. */
  changedBy: Id.optional(),
  /** Matching collectors the leading coordinator knows (with a part or waiting for one). */
  matched: z.number().int().min(0).max(10_000_000).optional(),
  /** Incremented by each resume: the pause threshold counts parts started in this epoch only. */
  epoch: z.number().int().min(0).max(1_000_000),
});
export type HuntRecord = z.infer<typeof HuntRecord>;

/**
 * KV `<p>_hunt_claims`, key `<owner>.<huntId>.<collectorId>`: created (compare-and-set on an
 * absent key) before a part is sent, so a part runs once per collector id across coordinators,
 * restarts and leader changes; then updated with its outcome.
 */
export const HuntClaim = z.object({
  huntId: HuntId,
  collectorId: Id,
  /** The coordinator that sent it. */
  coordinatorId: Id,
  /** The collector's startedAt when it was sent: a lost part runs again on another incarnation. */
  incarnation: Millis,
  epoch: z.number().int().min(0).max(1_000_000),
  /** Times this part was sent (more than 1 only after a part was lost). */
  runs: z.number().int().min(1).max(1000),
  state: PartState,
  code: ErrorCodeSchema.optional(),
  sentAt: Millis,
  /** When a part still `sent` is judged (its deadline and a grace). */
  deadline: Millis,
  finishedAt: Millis.optional(),
});
export type HuntClaim = z.infer<typeof HuntClaim>;

/** Stream `<p>_hunt_results`, subject `<p>.hunt.<owner>.<huntId>.<collectorId>`: one part's outcome. */
export const HuntPartResult = z.object({
  huntId: HuntId,
  collectorId: Id,
  incarnation: Millis,
  runs: z.number().int().min(1).max(1000),
  state: PartState.exclude(["sent"]),
  code: ErrorCodeSchema.optional(),
  results: z.array(Result).max(MAX_HUNT_PART_RESULTS),
  /** Results were dropped to fit the stream's message size. */
  truncated: z.boolean().optional(),
  at: Millis,
});
export type HuntPartResult = z.infer<typeof HuntPartResult>;

const SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * A token as a KV key part: itself when it is `[A-Za-z0-9_-]+`, else `=` and its UTF-8 bytes in
 * base64url (so any subject token can name a collector or an owner, and the encoding is one-to-one).
 */
export function kvToken(token: string): string {
  if (SAFE.test(token)) return token;
  return `=${Buffer.from(token, "utf8").toString("base64url")}`;
}

/** The token a kvToken came from. */
export function fromKvToken(part: string): string {
  return part.startsWith("=") ? Buffer.from(part.slice(1), "base64url").toString("utf8") : part;
}

/** The parts of a hunt or claim key; undefined when it is not one. */
export function parseHuntKey(
  key: string,
): { owner: string; huntId: string; collectorId?: string } | undefined {
  const t = key.split(".");
  if (t.length !== 2 && t.length !== 3) return undefined;
  const [owner = "", huntId = "", collector] = t;
  if (!HUNT_ID_RE.test(huntId) || owner === "") return undefined;
  const base = { owner: fromKvToken(owner), huntId };
  return collector === undefined ? base : { ...base, collectorId: fromKvToken(collector) };
}
