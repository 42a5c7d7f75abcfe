import type { z } from "zod";
import {
  ALL_CAPS,
  CollectorAdvert,
  DOMAINS,
  HEALTH_VALUES,
  MAX_LABELS,
  Result,
  SIGNING_KEY_RE,
  Task,
} from "../subjects/index.js";

/**
 * Hand-written checks for the two messages of every round trip, Task and Result, and for the
 * advert every collector refreshes on each heartbeat, that the codec tries before zod. Each accepts a subset of what the zod schema accepts and returns what zod
 * returns for it (a new object, fields in schema order); for anything else it returns undefined
 * and zod decides, with its error message. It never accepts what zod refuses: it is stricter
 * wherever that is simpler (an unknown field, an `error` field, -0, an unsafe integer), and
 * test/fast-validate.test.ts compares it with zod on every golden vector and on random values
 * near the boundaries.
 */
export type FastCheck = (raw: unknown) => object | undefined;

const TOKEN = /^[^\s.*>]+$/;
const MAX_ID = 256;
const domains: ReadonlySet<unknown> = new Set(DOMAINS);

function isId(v: unknown): v is string {
  return typeof v === "string" && v.length >= 1 && v.length <= MAX_ID && TOKEN.test(v);
}

/** A safe integer in [0, max], not -0. */
function isNat(v: unknown, max: number): v is number {
  return (
    typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= max && !Object.is(v, -0)
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

const TASK_KEYS = new Set(Object.keys(Task.shape));
const ADVERT_KEYS = new Set(Object.keys(CollectorAdvert.shape));
const healths: ReadonlySet<unknown> = new Set(HEALTH_VALUES);

/** A string of `min` to `max` UTF-16 units, as zod counts them. */
function isText(v: unknown, min: number, max: number): v is string {
  return typeof v === "string" && v.length >= min && v.length <= max;
}
const RESULT_KEYS = new Set(Object.keys(Result.shape));

/** True when every own key of `o` is in `keys`; `n` is how many of them are present. */
function onlyKnown(o: Record<string, unknown>, keys: ReadonlySet<string>, n: number): boolean {
  let count = 0;
  for (const k in o) {
    if (!keys.has(k)) return false;
    count++;
  }
  return count === n;
}

function fastTask(raw: unknown): Task | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { taskId, correlationId, requiredCapabilities, domain, priority } = raw;
  const { createdAt, deadline, attempt } = raw;
  const hasPayload = "payload" in raw;
  if (
    !isId(taskId) ||
    !isId(correlationId) ||
    !isNat(requiredCapabilities, ALL_CAPS) ||
    !domains.has(domain) ||
    !isNat(priority, 3) ||
    !isNat(createdAt, Number.MAX_SAFE_INTEGER) ||
    !isNat(deadline, Number.MAX_SAFE_INTEGER) ||
    !isNat(attempt, 1000) ||
    !onlyKnown(raw, TASK_KEYS, hasPayload ? 9 : 8)
  ) {
    return undefined;
  }
  const t: Task = {
    taskId,
    correlationId,
    requiredCapabilities,
    domain: domain as Task["domain"],
    priority: priority as Task["priority"],
    createdAt,
    deadline,
    attempt,
  };
  if (!hasPayload) return t;
  // Schema order: payload comes before createdAt.
  return {
    taskId,
    correlationId,
    requiredCapabilities,
    domain: t.domain,
    priority: t.priority,
    payload: raw.payload,
    createdAt,
    deadline,
    attempt,
  };
}

function fastResult(raw: unknown): Result | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { taskId, correlationId, collectorId, seq, final, status } = raw;
  const { producedAt, processingMs, attempt } = raw;
  const hasPayload = "payload" in raw;
  const hasAttempt = attempt !== undefined;
  if (
    !isId(taskId) ||
    !isId(correlationId) ||
    !isId(collectorId) ||
    !isNat(seq, Number.MAX_SAFE_INTEGER) ||
    typeof final !== "boolean" ||
    (status !== "ok" && status !== "error") ||
    !isNat(producedAt, Number.MAX_SAFE_INTEGER) ||
    typeof processingMs !== "number" ||
    !Number.isFinite(processingMs) ||
    processingMs < 0 ||
    Object.is(processingMs, -0) ||
    (hasAttempt && !isNat(attempt, 1000)) ||
    // An `error` field (or any other) goes to zod.
    !onlyKnown(raw, RESULT_KEYS, 8 + (hasPayload ? 1 : 0) + (hasAttempt ? 1 : 0))
  ) {
    return undefined;
  }
  // Fields in schema order, as zod returns them; producedAt and processingMs follow.
  const r = { taskId, correlationId, collectorId, seq, final, status } as Result;
  if (hasPayload) r.payload = raw.payload;
  r.producedAt = producedAt;
  r.processingMs = processingMs;
  if (hasAttempt) r.attempt = attempt;
  return r;
}

/** Labels as zod's record returns them (a new object), or undefined to leave them to zod. */
function fastLabels(v: unknown): Record<string, string> | undefined {
  if (!isPlainObject(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length > MAX_LABELS) return undefined;
  const out: Record<string, string> = {};
  for (const k of keys) {
    const value = v[k];
    if (k === "__proto__" || !isText(k, 1, 64) || !isText(value, 0, 256)) return undefined;
    out[k] = value;
  }
  return out;
}

function fastAdvert(raw: unknown): CollectorAdvert | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { id, type, capabilities, version, health, maxConcurrency, inFlight } = raw;
  const { weight, startedAt, heartbeatSeq, heartbeatAt, signingKey } = raw;
  const hasWeight = "weight" in raw;
  const hasKey = "signingKey" in raw;
  const labels = fastLabels(raw.labels);
  if (
    !isId(id) ||
    !isText(type, 1, 64) ||
    !isNat(capabilities, ALL_CAPS) ||
    !isText(version, 0, 64) ||
    !healths.has(health) ||
    !isNat(maxConcurrency, 100_000) ||
    maxConcurrency < 1 ||
    !isNat(inFlight, 10_000_000) ||
    (hasWeight && (!isNat(weight, 1000) || weight < 1)) ||
    labels === undefined ||
    !isNat(startedAt, Number.MAX_SAFE_INTEGER) ||
    !isNat(heartbeatSeq, Number.MAX_SAFE_INTEGER) ||
    !isNat(heartbeatAt, Number.MAX_SAFE_INTEGER) ||
    (hasKey && (typeof signingKey !== "string" || !SIGNING_KEY_RE.test(signingKey))) ||
    !onlyKnown(raw, ADVERT_KEYS, 11 + (hasWeight ? 1 : 0) + (hasKey ? 1 : 0))
  ) {
    return undefined;
  }
  // Schema order; an absent weight is the default, 1.
  const a: CollectorAdvert = {
    id,
    type,
    capabilities,
    version,
    health: health as CollectorAdvert["health"],
    maxConcurrency,
    inFlight,
    weight: hasWeight ? (weight as number) : 1,
    labels,
    startedAt,
    heartbeatSeq,
    heartbeatAt,
  };
  if (hasKey) a.signingKey = signingKey as string;
  return a;
}

const checks = new Map<z.ZodType, FastCheck>([
  [Task, fastTask],
  [Result, fastResult],
  [CollectorAdvert, fastAdvert],
]);

/** The fast check of `schema`, if it has one. */
export function fastCheckOf(schema: z.ZodType): FastCheck | undefined {
  return checks.get(schema);
}
