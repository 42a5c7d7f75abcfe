import type { z } from "zod";
import { ALL_CAPS, DOMAINS, Result, Task } from "../subjects/index.js";

/**
 * Hand-written checks for the two messages of every round trip, Task and Result, that the codec
 * tries before zod. Each accepts a subset of what the zod schema accepts and returns what zod
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

const checks = new Map<z.ZodType, FastCheck>([
  [Task, fastTask],
  [Result, fastResult],
]);

/** The fast check of `schema`, if it has one. */
export function fastCheckOf(schema: z.ZodType): FastCheck | undefined {
  return checks.get(schema);
}
