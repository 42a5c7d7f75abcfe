/**
 * Hostile input costs little: the linear pre-scan (src/msgpack-scan.ts) against the decoder it
 * guards, and the codec's limits on depth, element count, size and top-level type. Costs are
 * measured in bench/hostile.ts; here rejection is shown to happen in the scan, at the limit.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Decoder, encode as mpEncode } from "@msgpack/msgpack";
import { decode, decodeRaw } from "../src/codec.js";
import { InvalidMessageError } from "../src/errors.js";
import { scanMessagePack } from "../src/msgpack-scan.js";
import {
  CollectorAdvert,
  MAX_ADVERT_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_ELEMENTS,
  MAX_NESTING_DEPTH,
  Task,
} from "../subjects/index.js";
import { PAYLOAD_AT, deepArrays, deepMaps, taskWithPayload, validTask } from "../bench/hostile.js";

const UNBOUNDED = { maxDepth: 1e9, maxElements: 1e9 };
const plain = new Decoder();

/** Values and depth of a decoded value, counted the way the scanner counts. */
function shape(v: unknown): { elements: number; depth: number } {
  if (Array.isArray(v) || (v !== null && typeof v === "object" && !(v instanceof Uint8Array))) {
    const children = Array.isArray(v) ? v : Object.entries(v).flat();
    let elements = 1;
    let depth = 0;
    for (const c of children) {
      const s = shape(c);
      elements += s.elements;
      depth = Math.max(depth, s.depth);
    }
    return { elements, depth: depth + 1 };
  }
  return { elements: 1, depth: 0 };
}

function rejection(fn: () => unknown): InvalidMessageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidMessageError) return err;
    throw err;
  }
  throw new Error("accepted");
}

const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.string({ maxLength: 40 }),
    fc.string({ minLength: 300, maxLength: 70_000 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie("v"), { maxLength: 20 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie("v"), { maxKeys: 20 }),
  ),
})).v;

describe("codec - the pre-scan agrees with the decoder", () => {
  it("codec - every encodable value scans whole, with the decoder's count of values and depth", () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = mpEncode(v, { useBigInt64: true });
        const r = scanMessagePack(bytes, UNBOUNDED);
        // Whether the bytes are irregular is test/codec-decoders.test.ts's to check.
        expect(r).toMatchObject({ ok: true, ...shape(plain.decode(bytes)), end: bytes.length });
      }),
      { numRuns: 2000 },
    );
  });

  it("codec - bytes the decoder accepts pass the scan; bytes the scan calls broken, the decoder refuses", () => {
    const base = mpEncode({ ...validTask, payload: { a: [1, "x", 2.5, null], b: { c: true } } });
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc
        .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })
        .map((muts) => {
          const b = Uint8Array.from(base);
          for (const [i, v] of muts) b[i % b.length] = v;
          return b;
        }),
      fc.nat({ max: base.length + 4 }).map((n) => {
        const b = new Uint8Array(n);
        b.set(base.subarray(0, Math.min(n, base.length)));
        return b;
      }),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const r = scanMessagePack(b, UNBOUNDED);
        let decoded = true;
        try {
          plain.decode(b);
        } catch {
          decoded = false;
        }
        if (decoded) expect(r.ok).toBe(true);
        if (!r.ok) expect(decoded).toBe(false);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("codec - nesting and width are bounded before decoding", () => {
  it("codec - 100,000 nested arrays in a task's payload are refused at the limit, not at the end", () => {
    const bytes = taskWithPayload(deepArrays(100_000));
    const r = scanMessagePack(bytes, { maxDepth: MAX_NESTING_DEPTH, maxElements: 1e9 });
    // The task map is depth 1; the payload's arrays start at depth 2; the scan stops at the
    // header one level past the limit and reads nothing after it.
    expect(r).toMatchObject({ ok: false, reason: "depth", depth: MAX_NESTING_DEPTH });
    expect(!r.ok && r.offset).toBe(PAYLOAD_AT + MAX_NESTING_DEPTH - 1);
    const err = rejection(() => decode(Task, bytes, { subject: "daemoneye.collector.x.task" }));
    expect(err.paths).toEqual(["<depth>"]);
    expect(err.subject).toBe("daemoneye.collector.x.task");
  });

  it("codec - a message of exactly the deepest nesting is accepted, one level more is not", () => {
    const ok = taskWithPayload(deepArrays(MAX_NESTING_DEPTH - 1));
    expect(shape(decode(Task, ok)).depth).toBe(MAX_NESTING_DEPTH);
    const deeper = taskWithPayload(deepArrays(MAX_NESTING_DEPTH));
    expect(rejection(() => decode(Task, deeper)).paths).toEqual(["<depth>"]);
  });

  it("codec - nested maps count as levels too", () => {
    const b = deepMaps(500_000);
    const r = scanMessagePack(b, { maxDepth: MAX_NESTING_DEPTH, maxElements: 1e9 });
    expect(!r.ok && [r.reason, r.offset]).toEqual(["depth", 2 * MAX_NESTING_DEPTH]);
    expect(rejection(() => decodeRaw(b)).paths).toEqual(["<depth>"]);
  });

  it("codec - more values than the limit are refused where the count passes it", () => {
    // Ten arrays of 100,000 empty maps: 1,000,011 values in 1 MB.
    const inner = new Uint8Array(5 + 100_000).fill(0x80);
    inner.set([0xdd, 0x00, 0x01, 0x86, 0xa0]);
    const payload = new Uint8Array(1 + 10 * inner.length);
    payload[0] = 0x9a;
    for (let g = 0; g < 10; g++) payload.set(inner, 1 + g * inner.length);
    const bytes = taskWithPayload(payload);
    expect(bytes.length).toBeLessThan(MAX_MESSAGE_BYTES);
    const r = scanMessagePack(bytes, {
      maxDepth: MAX_NESTING_DEPTH,
      maxElements: MAX_MESSAGE_ELEMENTS,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe("elements");
    expect(r.elements).toBe(MAX_MESSAGE_ELEMENTS);
    // 18 values before the payload (the map, its 9 keys and 8 other values), the payload array,
    // then per group its header and 100,000 maps.
    const before = 18 + 1;
    const left = MAX_MESSAGE_ELEMENTS - before;
    const groups = Math.floor(left / 100_001);
    const inGroup = left - groups * 100_001;
    expect(r.offset).toBe(
      PAYLOAD_AT + 1 + groups * inner.length + (inGroup === 0 ? 0 : 4 + inGroup),
    );
    expect(rejection(() => decode(Task, bytes)).paths).toEqual(["<elements>"]);
  });

  it("codec - a count that promises more values than bytes left is refused at its header", () => {
    const lie = Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]);
    const r = scanMessagePack(lie, UNBOUNDED);
    expect(!r.ok && [r.reason, r.offset]).toEqual(["truncated", 0]);
    expect(rejection(() => decodeRaw(lie)).paths).toEqual(["<msgpack>"]);
  });

  it("codec - a string length beyond the message, 0xc1 and trailing bytes are refused by the scan", () => {
    for (const [b, reason] of [
      [[0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61], "truncated"],
      [[0x92, 0x01, 0xc1], "malformed"],
      [[0x01, 0x02], "trailing"],
    ] as const) {
      const r = scanMessagePack(Uint8Array.from(b), UNBOUNDED);
      expect(!r.ok && r.reason).toBe(reason);
      expect(() => plain.decode(Uint8Array.from(b))).toThrow();
    }
  });
});

describe("codec - wrong types and sizes", () => {
  it("codec - a message whose schema is an object must start with a map", () => {
    const huge = mpEncode("x".repeat(MAX_MESSAGE_BYTES - 100));
    expect(rejection(() => decode(Task, huge)).paths).toEqual(["<root>"]);
    expect(rejection(() => decode(Task, mpEncode([1, 2, 3]))).paths).toEqual(["<root>"]);
    expect(rejection(() => decode(Task, new Uint8Array(0))).paths).toEqual(["<msgpack>"]);
    // decodeRaw, without a schema, still decodes any type.
    expect(decodeRaw(mpEncode([1, 2, 3]))).toEqual([1, 2, 3]);
  });

  it("codec - an advert larger than MAX_ADVERT_BYTES is refused by size, whoever decodes it", () => {
    const advert = {
      id: "procmond-1",
      type: "procmond",
      capabilities: 1,
      version: "1",
      health: "healthy",
      maxConcurrency: 4,
      inFlight: 0,
      weight: 1,
      labels: { big: "x".repeat(200) },
      startedAt: 1,
      heartbeatSeq: 0,
      heartbeatAt: 1,
    };
    expect(decode(CollectorAdvert, mpEncode(advert)).id).toBe("procmond-1");
    const padded = mpEncode({ ...advert, padding: "x".repeat(MAX_ADVERT_BYTES) });
    expect(rejection(() => decode(CollectorAdvert, padded)).paths).toEqual(["<size>"]);
    // An explicit bound still wins.
    expect(
      rejection(() => decode(CollectorAdvert, mpEncode(advert), { maxBytes: 10 })).paths,
    ).toEqual(["<size>"]);
  });
});
