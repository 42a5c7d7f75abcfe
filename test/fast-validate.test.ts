/**
 * The hand-written Task, Result and CollectorAdvert checks the codec tries before zod
 * (src/fast-validate.ts):
 * whatever they accept, zod accepts with the same value (same fields in the same order), on every
 * golden vector and on random values near every boundary of the schemas.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeRaw } from "../src/codec.js";
import { fastCheckOf } from "../src/fast-validate.js";
import {
  ALL_CAPS,
  CollectorAdvert,
  DOMAINS,
  ERROR_CODES,
  MessageSchemas,
  Result,
  Task,
} from "../subjects/index.js";
import { VECTORS_DIR, type Manifest } from "../subjects/generate-vectors.js";
import { okResultHead } from "./support/results.js";

const fastTask = fastCheckOf(Task)!;
const fastResult = fastCheckOf(Result)!;
const fastAdvert = fastCheckOf(CollectorAdvert)!;

/** Fast accepted ⇒ zod accepts, with an equal value whose keys come in the same order. */
function expectAgrees(
  schema: typeof Task | typeof Result | typeof CollectorAdvert,
  raw: unknown,
): boolean {
  const fast = fastCheckOf(schema)!(raw);
  if (fast === undefined) return false;
  const z = schema.safeParse(raw);
  expect(z.success).toBe(true);
  expect(fast).toStrictEqual(z.data);
  expect(Object.keys(fast)).toEqual(Object.keys(z.data as object));
  return true;
}

const edgeNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 3, 4, 0.5, 127, 128, 1000, 1001, NaN, Infinity, -Infinity),
  fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, ALL_CAPS, ALL_CAPS + 1),
  fc.integer(),
  fc.double(),
);
const edgeString = fc.oneof(
  fc.constantFrom("", "a", "t-1", "a.b", "a b", "a*", ">", "a\n", "é", "x".repeat(256)),
  fc.constantFrom("x".repeat(257), "process", "network", "ok", "error", "bogus"),
  fc.string({ maxLength: 10 }),
);
const anyValue = fc.oneof(
  edgeNumber,
  edgeString,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 4 }),
  fc.array(fc.nat(), { maxLength: 2 }),
  fc.constant({ code: ERROR_CODES[0], message: "m" }),
);

/** A valid value, with some fields replaced, dropped or added. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = [
    ...Object.keys(valid),
    ...["payload", "attempt", "error", "extra", "__proto_", "weight", "signingKey"],
  ];
  return fc
    .array(fc.tuple(fc.constantFrom(...keys), fc.option(anyValue, { nil: "drop" as const })), {
      maxLength: 3,
    })
    .map((muts) => {
      const o: Record<string, unknown> = { ...valid };
      for (const [k, v] of muts) {
        if (v === "drop") delete o[k];
        else o[k] = v;
      }
      return o;
    });
}

const task = {
  taskId: "t-1",
  correlationId: "c-1",
  requiredCapabilities: 1,
  domain: "process",
  priority: 1,
  payload: Uint8Array.from([1, 2]),
  createdAt: 1_700_000_000_000,
  deadline: 1_700_000_005_000,
  attempt: 0,
};
const result = {
  ...okResultHead,
  payload: { rows: [1] },
  producedAt: 1_700_000_000_100,
  processingMs: 1.5,
  attempt: 2,
};

const advert = {
  id: "procmond-1",
  type: "procmond",
  capabilities: 5,
  version: "1.2.0",
  health: "healthy",
  maxConcurrency: 16,
  inFlight: 3,
  weight: 2,
  labels: { host: "h-1", zone: "eu-1" },
  startedAt: 1_700_000_000_000,
  heartbeatSeq: 41,
  heartbeatAt: 1_700_000_004_000,
  signingKey: `ed25519:${"A".repeat(43)}`,
};
const labelKey = fc.oneof(edgeString, fc.constantFrom("__proto__", "x".repeat(64), "x".repeat(65)));
const labels = fc.oneof(
  fc.dictionary(labelKey, fc.oneof(edgeString, edgeNumber), { maxKeys: 4 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), fc.constant("v"), {
    minKeys: 30,
    maxKeys: 34,
  }),
  anyValue,
);

describe("fast-validate - never accepts what zod refuses, and returns what zod returns", () => {
  it("fast-validate - Task: mutated valid tasks", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutated(task), (o) => {
        if (expectAgrees(Task, o)) accepted++;
      }),
      { numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it("fast-validate - Result: mutated valid results", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutated(result), (o) => {
        if (expectAgrees(Result, o)) accepted++;
      }),
      { numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it("fast-validate - CollectorAdvert: mutated valid adverts, and their labels", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutated(advert), labels, fc.boolean(), (o, l, swap) => {
        if (expectAgrees(CollectorAdvert, swap ? { ...o, labels: l } : o)) accepted++;
      }),
      { numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(100);
    // Weight absent is the default; a signed and an unsigned advert both take the fast path.
    const { weight: _w, signingKey: _k, ...plain } = advert;
    expect(expectAgrees(CollectorAdvert, plain)).toBe(true);
    expect(fastAdvert(plain)).toMatchObject({ weight: 1 });
    expect(expectAgrees(CollectorAdvert, advert)).toBe(true);
    expect(fastAdvert({ ...advert, signingKey: "ed25519:short" })).toBe(undefined);
  });

  it("fast-validate - the common shapes take the fast path, in every domain and priority", () => {
    for (const domain of DOMAINS) {
      for (const priority of [0, 1, 2, 3]) {
        expect(expectAgrees(Task, { ...task, domain, priority })).toBe(true);
      }
    }
    const { payload: _p, ...bare } = task;
    expect(expectAgrees(Task, bare)).toBe(true);
    const { attempt: _a, ...noAttempt } = result;
    expect(expectAgrees(Result, noAttempt)).toBe(true);
    expect(expectAgrees(Result, { ...result, status: "error", final: false })).toBe(true);
    // What it leaves to zod: an error body, an unknown field, -0, null.
    expect(fastResult({ ...result, error: { code: ERROR_CODES[0], message: "x" } })).toBe(
      undefined,
    );
    expect(fastTask({ ...task, extra: 1 })).toBe(undefined);
    expect(fastTask({ ...task, attempt: -0 })).toBe(undefined);
    expect(fastTask(null)).toBe(undefined);
  });

  it("fast-validate - every Task, Result and CollectorAdvert golden vector: the fast check agrees with zod", () => {
    const manifest = JSON.parse(
      readFileSync(join(VECTORS_DIR, "manifest.json"), "utf8"),
    ) as Manifest;
    let fast = 0;
    let seen = 0;
    for (const v of manifest.vectors) {
      if (v.message !== "Task" && v.message !== "Result" && v.message !== "CollectorAdvert")
        continue;
      const schema = MessageSchemas[v.message];
      let raw: unknown;
      try {
        raw = decodeRaw(new Uint8Array(readFileSync(join(VECTORS_DIR, v.file))));
      } catch {
        continue; // refused before validation: the check is never asked
      }
      seen++;
      if (expectAgrees(schema, raw)) fast++;
      // A vector zod refuses is never accepted by the fast check (expectAgrees would throw).
      if (v.verdict === "invalid") expect(fastCheckOf(schema)!(raw), v.file).toBe(undefined);
    }
    expect(seen).toBeGreaterThan(30);
    expect(fast).toBeGreaterThan(5);
  });
});
