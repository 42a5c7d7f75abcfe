/**
 * The flat-map encoder the codec tries first (src/fast-encode.ts) writes exactly the reference
 * encoder's bytes, or leaves the value to it: on every golden vector's value and on random maps
 * near every boundary of the MessagePack formats.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Encoder } from "@msgpack/msgpack";
import { decodeRaw, encode } from "../src/codec.js";
import { encodeFlat } from "../src/fast-encode.js";
import { Result, Task } from "../subjects/index.js";
import { VECTORS_DIR, type Manifest } from "../subjects/generate-vectors.js";

const reference = new Encoder({ ignoreUndefined: true });

/** Undefined (left to the reference), or the reference's bytes. */
function expectSameBytes(value: unknown): boolean {
  const fast = encodeFlat(value);
  let ref: Uint8Array | Error;
  try {
    ref = reference.encode(value);
  } catch (err) {
    ref = err as Error;
  }
  if (fast === undefined) return false;
  expect(ref).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(fast).equals(Buffer.from(ref as Uint8Array))).toBe(true);
  return true;
}

const boundaryInts = fc.constantFrom(
  0,
  -0,
  1,
  0x7f,
  0x80,
  0xff,
  0x100,
  0xffff,
  0x10000,
  0xffffffff,
  0x100000000,
  Number.MAX_SAFE_INTEGER,
  -1,
  -0x20,
  -0x21,
  -0x80,
  -0x81,
  -0x8000,
  -0x8001,
  -0x80000000,
  -0x80000001,
  Number.MIN_SAFE_INTEGER,
  1_700_000_000_000,
);
const numbers = fc.oneof(
  boundaryInts,
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 0.5, 2 ** 53, -(2 ** 53), 2 ** 64),
);
const strings = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 250, maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom("", "x".repeat(31), "x".repeat(32), "x".repeat(255), "x".repeat(256), "\ud800"),
);
const leaf = fc.oneof(
  strings,
  numbers,
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 300 }),
  fc.date({ noInvalidDate: true }),
);
const nestedValue = fc.oneof(
  leaf,
  fc.array(leaf, { maxLength: 20 }),
  fc.dictionary(fc.string({ maxLength: 8 }), leaf, { maxKeys: 5 }),
);
const keys = fc.oneof(
  fc.constantFrom("taskId", "payload", "seq", "final", "attempt", "error", "status", "é", ""),
  fc.string({ maxLength: 34 }),
);

describe("fast-encode - the reference's bytes, or the reference", () => {
  it("fast-encode - random flat maps: byte for byte the reference encoder's output", () => {
    let fast = 0;
    fc.assert(
      fc.property(fc.dictionary(keys, nestedValue, { maxKeys: 18 }), (m) => {
        if (expectSameBytes(m)) fast++;
      }),
      { numRuns: 3000 },
    );
    expect(fast).toBeGreaterThan(300);
  });

  it("fast-encode - values it does not write itself go to the reference", () => {
    expect(encodeFlat([1, 2])).toBeUndefined();
    expect(encodeFlat(new Map())).toBeUndefined();
    expect(encodeFlat({ s: "é" })).toBeUndefined();
    expect(encodeFlat({ s: "x".repeat(256) })).toBeUndefined();
    expect(encodeFlat({ [`k${"x".repeat(40)}`]: 1 })).toBeUndefined();
    expect(encodeFlat({ n: 10n })).toBeUndefined();
    expect(
      encodeFlat(Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i]))),
    ).toBeUndefined();
    expect(encodeFlat(null)).toBeUndefined();
    // The codec still encodes all of them (through the reference), and the flat ones fast.
    expect(encode(Task, { s: "é" } as never)).toEqual(reference.encode({ s: "é" }));
  });

  it("fast-encode - every golden vector's value encodes as the reference encodes it; most Tasks and Results take the fast path", () => {
    const manifest = JSON.parse(
      readFileSync(join(VECTORS_DIR, "manifest.json"), "utf8"),
    ) as Manifest;
    let seen = 0;
    let fastHops = 0;
    for (const v of manifest.vectors) {
      let raw: unknown;
      try {
        raw = decodeRaw(new Uint8Array(readFileSync(join(VECTORS_DIR, v.file))));
      } catch {
        continue;
      }
      seen++;
      const fast = expectSameBytes(raw);
      if (v.verdict === "valid" && (v.message === "Task" || v.message === "Result")) {
        expect(encode(v.message === "Task" ? Task : Result, raw as never)).toEqual(
          reference.encode(raw),
        );
        if (fast) fastHops++;
      }
    }
    expect(seen).toBeGreaterThan(200);
    expect(fastHops).toBeGreaterThan(10);
  });

  it("fast-encode - a message handed out is never written again: not by the next ones, not by one abandoned half-way, not past a slab", () => {
    const kept: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < 2000; i++) {
      const v = {
        taskId: `t-${i}`,
        payload: new Uint8Array(i % 700).fill(i & 0xff),
        seq: i,
        // Every third message is abandoned at its last field and goes to the reference.
        ...(i % 3 === 0 ? { status: "é" } : {}),
      };
      const got = encode(Result, v as never);
      kept.push([got, Uint8Array.from(reference.encode(v))]);
    }
    for (const [got, want] of kept) expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    // A large message gets a slab of its own size.
    const big = { taskId: "t-big", payload: new Uint8Array(100_000).fill(9) };
    expect(
      Buffer.from(encode(Result, big as never)).equals(Buffer.from(reference.encode(big))),
    ).toBe(true);
  });

  it("fast-encode - an enumerable property on Object.prototype is not written (the reference writes own fields only)", () => {
    const task = {
      taskId: "t-1",
      correlationId: "c-1",
      requiredCapabilities: 1,
      domain: "process",
      priority: 1,
      createdAt: 1,
      deadline: 2,
      attempt: 0,
    } as const;
    // A field name of the contract (always kept), absent from this Task.
    const proto = Object.prototype as Record<string, unknown>;
    proto.payload = "x";
    try {
      expect(Buffer.from(encode(Task, task)).equals(Buffer.from(reference.encode(task)))).toBe(
        true,
      );
    } finally {
      delete proto.payload;
    }
  });

  it("fast-encode - a getter that encodes another message, at the top or inside a nested value: both messages are the reference's bytes", () => {
    const inner = { taskId: "t-2", seq: 1 };
    let innerBytes: Uint8Array[] = [];
    const top = {
      taskId: "t-1",
      get payload() {
        innerBytes.push(encode(Result, inner as never));
        return 5;
      },
      seq: 2,
    };
    const inNested = {
      taskId: "t-1",
      payload: {
        get x() {
          innerBytes.push(encode(Result, inner as never));
          return 1;
        },
      },
      seq: 2,
    };
    for (const outer of [top, inNested]) {
      innerBytes = [];
      const got = Buffer.from(encode(Result, outer as never));
      expect(got.equals(Buffer.from(reference.encode(outer)))).toBe(true);
      expect(innerBytes.length).toBeGreaterThan(0);
      for (const b of innerBytes) {
        expect(Buffer.from(b).equals(Buffer.from(reference.encode(inner)))).toBe(true);
      }
    }
  });

  it("fast-encode - after a large message, small ones are written into a small slab again", () => {
    const big = { taskId: "t-big", payload: new Uint8Array(1 << 20).fill(7) };
    const bigBytes = encode(Result, big as never);
    const small = encode(Result, { taskId: "t", seq: 1 } as never);
    expect(small.buffer.byteLength).toBeLessThanOrEqual(8192);
    expect(Buffer.from(bigBytes).equals(Buffer.from(reference.encode(big)))).toBe(true);
  });
});
