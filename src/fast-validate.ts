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

const healths: ReadonlySet<unknown> = new Set(HEALTH_VALUES);

/** A string of `min` to `max` UTF-16 units, as zod counts them. */
function isText(v: unknown, min: number, max: number): v is string {
  return typeof v === "string" && v.length >= min && v.length <= max;
}

/** The schema's field names in its order, checked against the order the checks below read. */
function fieldsOf(schema: z.ZodObject, expected: readonly string[]): readonly string[] {
  const names = Object.keys(schema.shape);
  if (names.join() !== expected.join()) {
    throw new Error(`fast-validate: fields ${names.join()} are not ${expected.join()}`);
  }
  return names;
}

const TASK_FIELDS = fieldsOf(Task, [
  "taskId",
  "correlationId",
  "requiredCapabilities",
  "domain",
  "priority",
  "payload",
  "createdAt",
  "deadline",
  "attempt",
]);
const RESULT_FIELDS = fieldsOf(Result, [
  "taskId",
  "correlationId",
  "collectorId",
  "seq",
  "final",
  "status",
  "payload",
  "error",
  "producedAt",
  "processingMs",
  "attempt",
]);

/**
 * A decoded object's field values in schema order, or undefined when it is not a plain object of
 * the schema's fields alone (an own field holding undefined included: zod decides those).
 */
function fieldValues(raw: unknown, names: readonly string[]): unknown[] | undefined {
  if (!isPlainObject(raw)) return undefined;
  let n = 0;
  for (const k in raw) {
    if (raw[k] === undefined || !names.includes(k)) return undefined;
    n++;
  }
  const v = names.map((k) => raw[k]);
  return n === v.filter((x) => x !== undefined).length ? v : undefined;
}

/** A Task from its field values in schema order (undefined: absent). */
function taskOf(v: readonly unknown[]): Task | undefined {
  const taskId = v[0];
  const correlationId = v[1];
  const requiredCapabilities = v[2];
  const domain = v[3];
  const priority = v[4];
  const payload = v[5];
  const createdAt = v[6];
  const deadline = v[7];
  const attempt = v[8];
  if (
    !isId(taskId) ||
    !isId(correlationId) ||
    !isNat(requiredCapabilities, ALL_CAPS) ||
    !domains.has(domain) ||
    !isNat(priority, 3) ||
    !isNat(createdAt, Number.MAX_SAFE_INTEGER) ||
    !isNat(deadline, Number.MAX_SAFE_INTEGER) ||
    !isNat(attempt, 1000)
  ) {
    return undefined;
  }
  if (payload === undefined) {
    return {
      taskId,
      correlationId,
      requiredCapabilities,
      domain: domain as Task["domain"],
      priority: priority as Task["priority"],
      createdAt,
      deadline,
      attempt,
    };
  }
  // Schema order: payload comes before createdAt.
  return {
    taskId,
    correlationId,
    requiredCapabilities,
    domain: domain as Task["domain"],
    priority: priority as Task["priority"],
    payload,
    createdAt,
    deadline,
    attempt,
  };
}

/** A Result from its field values in schema order; one with an `error` goes to zod. */
function resultOf(v: readonly unknown[]): Result | undefined {
  const taskId = v[0];
  const correlationId = v[1];
  const collectorId = v[2];
  const seq = v[3];
  const final = v[4];
  const status = v[5];
  const payload = v[6];
  const producedAt = v[8];
  const processingMs = v[9];
  const attempt = v[10];
  if (
    v[7] !== undefined ||
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
    (attempt !== undefined && !isNat(attempt, 1000))
  ) {
    return undefined;
  }
  // Fields in schema order, as zod returns them; producedAt and processingMs follow.
  const r = { taskId, correlationId, collectorId, seq, final, status } as Result;
  if (payload !== undefined) r.payload = payload;
  r.producedAt = producedAt;
  r.processingMs = processingMs;
  if (attempt !== undefined) r.attempt = attempt;
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

const ADVERT_FIELDS = fieldsOf(CollectorAdvert, [
  "id",
  "type",
  "capabilities",
  "version",
  "health",
  "maxConcurrency",
  "inFlight",
  "weight",
  "labels",
  "startedAt",
  "heartbeatSeq",
  "heartbeatAt",
  "signingKey",
]);

/** An advert from its field values in schema order. */
function advertOf(v: readonly unknown[]): CollectorAdvert | undefined {
  const id = v[0];
  const type = v[1];
  const capabilities = v[2];
  const version = v[3];
  const health = v[4];
  const maxConcurrency = v[5];
  const inFlight = v[6];
  const weight = v[7];
  const startedAt = v[9];
  const heartbeatSeq = v[10];
  const heartbeatAt = v[11];
  const signingKey = v[12];
  const labels = fastLabels(v[8]);
  if (
    !isId(id) ||
    !isText(type, 1, 64) ||
    !isNat(capabilities, ALL_CAPS) ||
    !isText(version, 0, 64) ||
    !healths.has(health) ||
    !isNat(maxConcurrency, 100_000) ||
    maxConcurrency < 1 ||
    !isNat(inFlight, 10_000_000) ||
    (weight !== undefined && (!isNat(weight, 1000) || weight < 1)) ||
    labels === undefined ||
    !isNat(startedAt, Number.MAX_SAFE_INTEGER) ||
    !isNat(heartbeatSeq, Number.MAX_SAFE_INTEGER) ||
    !isNat(heartbeatAt, Number.MAX_SAFE_INTEGER) ||
    (signingKey !== undefined &&
      (typeof signingKey !== "string" || !SIGNING_KEY_RE.test(signingKey)))
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
    weight: weight === undefined ? 1 : weight,
    labels,
    startedAt,
    heartbeatSeq,
    heartbeatAt,
  };
  if (signingKey !== undefined) a.signingKey = signingKey;
  return a;
}

/** A check over field values in schema order (undefined: absent), beside the schema's fields. */
export interface FieldCheck {
  readonly fields: readonly string[];
  readonly check: (values: readonly unknown[]) => object | undefined;
}

const fieldChecks = new Map<z.ZodType, FieldCheck>([
  [Task, { fields: TASK_FIELDS, check: taskOf }],
  [Result, { fields: RESULT_FIELDS, check: resultOf }],
  [CollectorAdvert, { fields: ADVERT_FIELDS, check: advertOf }],
]);

/** The check over field values of `schema` (what the flat reader gives), if it has one. */
export function fieldCheckOf(schema: z.ZodType): FieldCheck | undefined {
  return fieldChecks.get(schema);
}

const checks = new Map<z.ZodType, FastCheck>(
  [...fieldChecks].map(([schema, { fields, check }]) => [
    schema,
    (raw: unknown) => {
      const v = fieldValues(raw, fields);
      return v === undefined ? undefined : check(v);
    },
  ]),
);
/** The fast check of `schema`, if it has one. */
export function fastCheckOf(schema: z.ZodType): FastCheck | undefined {
  return checks.get(schema);
}
