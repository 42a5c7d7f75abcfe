/**
 * The flat reader (src/flat-decode.ts) that the codec tries first for every object schema: on
 * every map it accepts, it gives what the general path (scan, decoder) gives; it refuses all the
 * general path refuses; and through `decode` the verdict and value are the same as before, on
 * random envelopes, mutated bytes, duplicate keys, the limits and every golden vector.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ExtData, encode as mpEncode } from "@msgpack/msgpack";
import { z } from "zod";
import { decode, decodeRaw, encode } from "../src/codec.js";
import { InvalidMessageError } from "../src/errors.js";
import { readFlat, type FlatLimits } from "../src/flat-decode.js";
import { flatKeys, flatObject } from "../src/flat-keys.js";
import {
  CollectorAdvert,
  MAX_ADVERT_BYTES,
  MAX_MESSAGE_ELEMENTS,
  MAX_NESTING_DEPTH,
  MessageSchemas,
  Result,
  Task,
} from "../subjects/index.js";
import { VECTORS_DIR, type Manifest } from "../subjects/generate-vectors.js";
import { okResultHead } from "./support/results.js";

const NAMES = Object.keys(Result.shape);
const KEYS = flatKeys(NAMES);
const LIMITS: FlatLimits = {
  maxDepth: MAX_NESTING_DEPTH,
  maxElements: MAX_MESSAGE_ELEMENTS,
  regularLength: 100_000,
  decodeNested: (own) => decodeRaw(own),
};

/** A Result without a payload, for the tests that add one. */
const bareResult = {
  ...okResultHead,
  producedAt: 1,
  processingMs: 0,
} as const;

function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (v instanceof ExtData) return { ext: v.type, data: Array.from(v.data as Uint8Array) };
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return { proto: Object.getPrototypeOf(v) === Object.prototype, o };
  }
  return v;
}

function general(b: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: decodeRaw(b, {}, true) };
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMessageError);
    return { ok: false };
  }
}

/** The fields of a decoded map that the schema reads (it drops the others). */
function known(v: unknown): unknown {
  const o = v as Record<string, unknown>;
  return Object.fromEntries(NAMES.filter((k) => Object.hasOwn(o, k)).map((k) => [k, o[k]]));
}

/**
 * Whatever the flat reader accepts, the general path accepts, with the same value in every field
 * the schema has (keys it does not have are passed over unread).
 */
function expectAgrees(b: Uint8Array): boolean {
  if (!readFlat(b, KEYS, LIMITS)) return false;
  const got = flatObject(KEYS);
  const want = general(b);
  expect(want.ok, `${Buffer.from(b).toString("hex")}`).toBe(true);
  if (want.ok) expect(plain(got)).toEqual(plain(known(want.value)));
  return true;
}

/** A map written pair by pair, so that keys can repeat. */
function mapOf(pairs: readonly (readonly [string, unknown])[]): Uint8Array {
  const parts = pairs.flatMap(([k, v]) => [mpEncode(k), mpEncode(v, { useBigInt64: true })]);
  const head = pairs.length < 16 ? [0x80 + pairs.length] : [0xde, 0, pairs.length];
  return Uint8Array.from([...head, ...parts.flatMap((p) => Array.from(p))]);
}

const scalar = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, -32, -33, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32, -(2 ** 31) - 1),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ minLength: 200, maxLength: 70_000, unit: "grapheme-ascii" }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ minLength: 1000, maxLength: 70_000 }),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  fc.array(scalar, { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 5 }),
  fc.constant(new ExtData(5, Uint8Array.from([1, 2]))),
);
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES) },
  fc.constantFrom("bogus", "__proto__", "", "taskid", "x".repeat(31)),
);

describe("flat reader - the general path's value, or the general path", () => {
  it("flat - random flat maps, keys repeated or unknown, any value", () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(fc.tuple(key, value), { maxLength: 18 }),
          fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 18 }),
        ),
        (pairs) => {
          if (expectAgrees(mapOf(pairs))) accepted++;
        },
      ),
      { numRuns: 3000 },
    );
    // Most maps of known keys, each named once, are read flat: the property is not met by
    // refusing everything.
    expect(accepted).toBeGreaterThan(1000);
  });

  it("flat - mutated and truncated envelopes: never a value the general path does not give", () => {
    const base = encode(Result, {
      taskId: "t-1",
      correlationId: "c-1",
      collectorId: "col-1",
      seq: 300,
      final: true,
      status: "ok",
      payload: { rows: [1, -1, 70_000, 2 ** 40, 2.5, "é"], raw: Uint8Array.from([1, 2, 3]) },
      producedAt: 1_700_000_000_000,
      processingMs: 0.25,
      attempt: 2,
    });
    const bytes = fc.oneof(
      fc.nat({ max: base.length }).map((n) => base.slice(0, n)),
      fc
        .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
        .map((muts) => {
          const b = Uint8Array.from(base);
          for (const [i, x] of muts) b[i % b.length] = x;
          return b;
        }),
    );
    fc.assert(
      fc.property(bytes, (b) => void expectAgrees(b)),
      { numRuns: 20_000 },
    );
    expect(expectAgrees(base)).toBe(true);
  });

  it("flat - the depth and element limits hold across nested values, as a whole message", () => {
    const nestedDeep = mapOf([["payload", [[[[1]]]]]]); // depth 5 in all
    expect(readFlat(nestedDeep, KEYS, { ...LIMITS, maxDepth: 5 })).toBe(true);
    expect(decodeRaw(nestedDeep, { maxDepth: 5 })).toEqual({ payload: [[[[1]]]] });
    expect(readFlat(nestedDeep, KEYS, { ...LIMITS, maxDepth: 4 })).toBe(false);
    expect(() => decodeRaw(nestedDeep, { maxDepth: 4 })).toThrow(InvalidMessageError);
    // The map, two keys, two arrays and their four items: 9 values in all.
    const many = mapOf([
      ["payload", [1, 2]],
      ["error", [3, 4]],
    ]);
    expect(readFlat(many, KEYS, { ...LIMITS, maxElements: 9 })).toBe(true);
    expect(decodeRaw(many, { maxElements: 9 })).toEqual({ payload: [1, 2], error: [3, 4] });
    expect(readFlat(many, KEYS, { ...LIMITS, maxElements: 8 })).toBe(false);
    expect(() => decodeRaw(many, { maxElements: 8 })).toThrow(InvalidMessageError);
  });

  it("flat - a map of short strings (the advert's labels) read in place is what the general path reads, keys repeated, `__proto__`, str8 and not-ASCII among them", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: "binary", maxLength: 6 }),
      fc.constantFrom(
        "__proto__",
        "",
        "x".repeat(31),
        "y".repeat(32),
        "z".repeat(255),
        "w".repeat(256),
      ),
    );
    /** A fixmap written pair by pair (keys may repeat), as the `payload` of a Result. */
    const labels = (pairs: readonly (readonly [string, string])[]): Uint8Array => {
      const inner = [
        0x80 + pairs.length,
        ...pairs.flatMap(([k, v]) => [...mpEncode(k), ...mpEncode(v)]),
      ];
      return Uint8Array.from([0x81, ...mpEncode("payload"), ...inner]);
    };
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { maxLength: 15 }), (pairs) => {
        if (expectAgrees(labels(pairs))) accepted++;
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(500);
    const two = labels([
      ["host", "a"],
      ["os", "linux"],
      ["host", "b"],
    ]);
    expect(readFlat(two, KEYS, LIMITS)).toBe(true);
    expect(flatObject(KEYS)).toEqual({ payload: { host: "b", os: "linux" } });
    // The map, its key, the labels map and its six strings: 9 values; the labels at depth 2.
    expect(readFlat(two, KEYS, { ...LIMITS, maxElements: 9 })).toBe(true);
    expect(readFlat(two, KEYS, { ...LIMITS, maxElements: 8 })).toBe(false);
    expect(() => decodeRaw(two, { maxElements: 8 })).toThrow(InvalidMessageError);
    expect(readFlat(two, KEYS, { ...LIMITS, maxDepth: 1 })).toBe(false);
    expect(() => decodeRaw(two, { maxDepth: 1 })).toThrow(InvalidMessageError);
  });

  it("flat - a binary is copied out of the read it came in, into at most a small slab", () => {
    const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
    const msg = encode(Result, { ...bareResult, payload });
    const read = new Uint8Array(65_536);
    read.set(msg, 1000);
    const view = read.subarray(1000, 1000 + msg.length);
    const r = decode(Result, view);
    expect(r.payload).toEqual(payload);
    expect((r.payload as Uint8Array).buffer).not.toBe(read.buffer);
    expect((r.payload as Uint8Array).buffer.byteLength).toBeLessThanOrEqual(8192);
    read.fill(0);
    expect(r.payload).toEqual(payload);
  });

  it("flat - a message as NATS hands it over (a Buffer view into the socket read): no binary decoded from it keeps the read, at the top, nested or on the general path", () => {
    const top = encode(Result, { ...bareResult, payload: new Uint8Array(2000).fill(1) });
    const inMap = encode(Result, { ...bareResult, payload: { raw: new Uint8Array(300).fill(2) } });
    // A field the schema does not have: the general path (zod then drops the field).
    const general = mpEncode({ ...bareResult, payload: new Uint8Array(300).fill(3), extra: 1 });
    const read = Buffer.alloc(65_536);
    const kept: Uint8Array[] = [];
    let at = 0;
    for (const msg of [top, inMap, general]) {
      read.set(msg, at);
      const r = decode(Result, read.subarray(at, at + msg.length));
      at += msg.length;
      const p = r.payload as Uint8Array | { raw: Uint8Array };
      kept.push(p instanceof Uint8Array ? p : p.raw);
    }
    for (const p of kept) {
      expect(p.buffer).not.toBe(read.buffer);
      expect(p.buffer.byteLength).toBeLessThanOrEqual(8192);
    }
    read.fill(0);
    expect(kept.map((p) => [p.length, p[0], p[p.length - 1]])).toEqual([
      [2000, 1, 1],
      [300, 2, 2],
      [300, 3, 3],
    ]);
  });

  it("flat - a key named twice goes to the general path: at most one nested value read per field", () => {
    let nestedReads = 0;
    const counting: FlatLimits = {
      ...LIMITS,
      decodeNested: (own) => {
        nestedReads++;
        return decodeRaw(own);
      },
    };
    // 64 times `payload: []`: one pass per repetition would cost 64 nested decodes.
    const repeated = mapOf(Array.from({ length: 64 }, () => ["payload", []] as const));
    expect(readFlat(repeated, KEYS, counting)).toBe(false);
    expect(nestedReads).toBeLessThanOrEqual(1);
    const twice = mapOf([
      ["taskId", "a"],
      ["taskId", "b"],
    ]);
    expect(readFlat(twice, KEYS, counting)).toBe(false);
    // The general path keeps the last, as before.
    expect(decodeRaw(twice)).toEqual({ taskId: "b" });
  });

  it("flat - a field name past latin1 is not read as the byte it truncates to; empty and detached bytes are refused with the typed error", () => {
    // "š" is U+0161: as a byte, 0x61 is "a".
    const schema = z.object({ š: z.number() });
    const a = mapOf([["a", 1]]);
    expect(() => decode(schema, a)).toThrow(InvalidMessageError);
    expect(decode(schema, mapOf([["š", 1]]))).toEqual({ š: 1 });
    const detached = new Uint8Array(new ArrayBuffer(8));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const b of [detached, new Uint8Array(0), Buffer.alloc(0)]) {
      expect(() => decode(Result, b)).toThrow(InvalidMessageError);
    }
  });
});

describe("flat reader - decode gives what it gave before", () => {
  /** The general path alone: decoder, then the schema. */
  function before(schema: (typeof MessageSchemas)[keyof typeof MessageSchemas], b: Uint8Array) {
    try {
      const maxBytes = schema === CollectorAdvert ? MAX_ADVERT_BYTES : undefined;
      const raw = decodeRaw(b, { maxBytes }, schema.def.type === "object");
      const p = schema.safeParse(raw);
      return p.success ? { ok: true, value: plain(p.data) } : { ok: false };
    } catch {
      return { ok: false };
    }
  }
  function now(schema: (typeof MessageSchemas)[keyof typeof MessageSchemas], b: Uint8Array) {
    try {
      return { ok: true, value: plain(decode(schema, b)) };
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidMessageError);
      return { ok: false };
    }
  }

  it("flat - every golden vector: the same verdict and value", () => {
    const manifest = JSON.parse(
      readFileSync(join(VECTORS_DIR, "manifest.json"), "utf8"),
    ) as Manifest;
    let checked = 0;
    for (const v of manifest.vectors) {
      const schema = MessageSchemas[v.message];
      if (schema === undefined) continue;
      const b = new Uint8Array(readFileSync(join(VECTORS_DIR, v.file)));
      expect(now(schema, b), v.file).toEqual(before(schema, b));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("flat - random Task, Result and advert maps: the same verdict and value", () => {
    for (const [schema, names] of [
      [Task, Object.keys(Task.shape)],
      [Result, NAMES],
      [CollectorAdvert, Object.keys(CollectorAdvert.shape)],
    ] as const) {
      const k = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...names) }, fc.constant("x"));
      fc.assert(
        fc.property(fc.array(fc.tuple(k, value), { maxLength: 14 }), (pairs) => {
          const b = mapOf(pairs);
          const want = before(schema, b);
          expect(now(schema, b)).toEqual(want);
          // As NATS hands it over: a Buffer view into a larger read.
          const read = Buffer.alloc(b.length + 7);
          read.set(b, 3);
          expect(now(schema, read.subarray(3, 3 + b.length))).toEqual(want);
        }),
        { numRuns: 1500 },
      );
    }
  });
});
