/**
 * The codec decodes with msgpackr unless the scan calls the bytes irregular, then with the
 * reference decoder (@msgpack/msgpack). Both must give the same value for the same bytes, and
 * refuse the same bytes: shown here on random values, random and mutated bytes, every golden
 * vector, and each kind of bytes the two libraries read differently.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Decoder, ExtData, encode as mpEncode } from "@msgpack/msgpack";
import { decodeRaw } from "../src/codec.js";
import { InvalidMessageError } from "../src/errors.js";
import { scanMessagePack } from "../src/msgpack-scan.js";
import {
  MAX_CONTAINER_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_ELEMENTS,
  MAX_NESTING_DEPTH,
} from "../subjects/index.js";
import { VECTORS_DIR, type Manifest } from "../subjects/generate-vectors.js";

/** The decoder the codec used for every message before msgpackr, with the same limits. */
const reference = new Decoder({
  maxStrLength: MAX_MESSAGE_BYTES,
  maxBinLength: MAX_MESSAGE_BYTES,
  maxArrayLength: MAX_CONTAINER_LENGTH,
  maxMapLength: MAX_CONTAINER_LENGTH,
  maxExtLength: MAX_MESSAGE_BYTES,
});
const LIMITS = {
  maxDepth: MAX_NESTING_DEPTH,
  maxElements: MAX_MESSAGE_ELEMENTS,
  regularLength: MAX_CONTAINER_LENGTH,
};

type Outcome = { ok: true; value: unknown } | { ok: false };

function viaCodec(b: Uint8Array): Outcome {
  try {
    return { ok: true, value: decodeRaw(b) };
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMessageError);
    return { ok: false };
  }
}

/** What the codec did before: the same scan, then the reference decoder. */
function viaReference(b: Uint8Array): Outcome {
  if (b.length > MAX_MESSAGE_BYTES || !scanMessagePack(b, LIMITS).ok) return { ok: false };
  try {
    return { ok: true, value: reference.decode(b) };
  } catch {
    return { ok: false };
  }
}

/** Same verdict and, when accepted, the same value (binary values compared as plain bytes). */
function expectSame(b: Uint8Array): void {
  const got = viaCodec(b);
  const want = viaReference(b);
  expect(got.ok, `${b.length} bytes`).toBe(want.ok);
  if (got.ok && want.ok) expect(plain(got.value)).toEqual(plain(want.value));
}

function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (v instanceof ExtData) return { ext: v.type, data: Array.from(v.data as Uint8Array) };
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object" && !(v instanceof Date)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return { proto: Object.getPrototypeOf(v) === Object.prototype, o };
  }
  return v;
}

const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.double(),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ minLength: 200, maxLength: 3000 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie("v"), { maxLength: 20 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constant("__proto_")), tie("v"), {
      maxKeys: 20,
    }),
  ),
})).v;

describe("codec - msgpackr and the reference decoder agree", () => {
  it("codec - every encodable value decodes to the same value", () => {
    fc.assert(
      fc.property(value, (v) => expectSame(mpEncode(v, { useBigInt64: true }))),
      { numRuns: 3000 },
    );
  });

  it("codec - random and mutated bytes: the same verdict, and the same value when accepted", () => {
    const base = mpEncode({
      taskId: "t-1",
      n: [1, -1, 300, -300, 70_000, 2 ** 40, -(2 ** 40), 2.5, null, true, false],
      s: ["x", "é".repeat(20), "y".repeat(300)],
      b: Uint8Array.from([1, 2, 3]),
      m: { "1": 1, k: { z: [] } },
    });
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })
        .map((muts) => {
          const b = Uint8Array.from(base);
          for (const [i, x] of muts) b[i % b.length] = x;
          return b;
        }),
    );
    fc.assert(fc.property(bytes, expectSame), { numRuns: 30_000 });
  });

  it("codec - every golden vector decodes as the reference decodes it", () => {
    const manifest = JSON.parse(
      readFileSync(join(VECTORS_DIR, "manifest.json"), "utf8"),
    ) as Manifest;
    for (const v of manifest.vectors) {
      expectSame(new Uint8Array(readFileSync(join(VECTORS_DIR, v.file))));
    }
    expect(manifest.vectors.length).toBeGreaterThan(100);
  });

  it("codec - what msgpackr reads its own way goes to the reference decoder", () => {
    const cases: [string, number[]][] = [
      ["nil key", [0x81, 0xc0, 0x01]],
      ["true key", [0x81, 0xc3, 0x01]],
      ["false key", [0x81, 0xc2, 0x01]],
      ["bin key", [0x81, 0xc4, 0x01, 0x61, 0x01]],
      ["array key", [0x81, 0x91, 0x01, 0x01]],
      ["__proto__ key", [0x81, 0xa9, ...Buffer.from("__proto__"), 0x80]],
      ["__proto__ key as str8", [0x81, 0xd9, 0x09, ...Buffer.from("__proto__"), 0x80]],
      ["msgpackr record definition", [0xd4, 0x72, 0x40]],
      ["msgpackr bundled strings", [0xd6, 0x62, 0x00, 0x00, 0x00, 0x00]],
      ["msgpackr reference", [0xd6, 0x70, 0x00, 0x00, 0x00, 0x00]],
      ["timestamp", [0xd6, 0xff, 0x00, 0x00, 0x00, 0x01]],
      ["ext 8", [0xc7, 0x02, 0x05, 0x01, 0x02]],
      ["undefined as fixext 0", [0xd4, 0x00, 0x00]],
    ];
    for (const [what, b] of cases) {
      const bytes = Uint8Array.from(b);
      const scan = scanMessagePack(bytes, LIMITS);
      expect(scan.ok && scan.irregular, what).toBe(true);
      expectSame(bytes);
    }
    // A string key of another length, and a string value `__proto__`, stay regular.
    for (const v of [{ __proto_: 1 }, { k: "__proto__" }, ["__proto__"]]) {
      const scan = scanMessagePack(mpEncode(v), LIMITS);
      expect(scan.ok && scan.irregular).toBe(false);
    }
  });

  it("codec - an array longer than the reference accepts is refused, as before", () => {
    const n = MAX_CONTAINER_LENGTH + 1;
    const bytes = new Uint8Array(5 + n);
    bytes.set([0xdd, 0, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
    const scan = scanMessagePack(bytes, LIMITS);
    expect(scan.ok && scan.irregular).toBe(true);
    expect(viaCodec(bytes).ok).toBe(false);
    const fits = mpEncode(new Array<number>(MAX_CONTAINER_LENGTH).fill(0));
    expect((decodeRaw(fits) as number[]).length).toBe(MAX_CONTAINER_LENGTH);
  });
});
