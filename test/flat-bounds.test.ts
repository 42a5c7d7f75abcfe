/**
 * Hostile strings cost no more than their bytes: a top-level string longer than its field could
 * hold is refused before it is built (the typed error names the field, in words of the codec's
 * own, where zod would have worded a value it was given), and a key the schema does not have is
 * passed over unread, with the same value as the general path's once the schema drops it.
 */
import { describe, expect, it } from "vitest";
import { encode as mpEncode } from "@msgpack/msgpack";
import { z } from "zod";
import { decode, decodeRaw, encode } from "../src/codec.js";
import { InvalidMessageError } from "../src/errors.js";
import { STRING_FLOOR, maxStringBytes } from "../src/flat-keys.js";
import {
  CancelTask,
  DurableSubmission,
  Id,
  Result,
  SubmitRequest,
  Task,
} from "../subjects/index.js";
import { okResultHead } from "./support/results.js";

const result: Result = {
  ...okResultHead,
  payload: { pid: 1 },
  producedAt: 1,
  processingMs: 0,
};

/** A map written pair by pair, so that keys can repeat. */
function mapOf(pairs: readonly (readonly [string, unknown])[]): Uint8Array {
  const parts = pairs.flatMap(([k, v]) => [mpEncode(k), mpEncode(v)]);
  const head = pairs.length < 16 ? [0x80 + pairs.length] : [0xde, 0, pairs.length];
  return Uint8Array.from([...head, ...parts.flatMap((p) => Array.from(p))]);
}

function refusal(schema: z.ZodType, bytes: Uint8Array): InvalidMessageError {
  try {
    decode(schema, bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMessageError);
    return err as InvalidMessageError;
  }
  throw new Error("accepted");
}

describe("codec - strings too long for their field", () => {
  it("codec - the bound of each field: 4 bytes a character of a bounded string, none for unbounded values, no string for numbers", () => {
    expect(maxStringBytes(Id)).toBe(4 * 256 + 3);
    expect(maxStringBytes(Task.shape.domain)).toBe(4 * "performance".length + 3);
    expect(maxStringBytes(Task.shape.priority)).toBe(0);
    expect(maxStringBytes(Task.shape.payload)).toBe(Infinity);
    expect(maxStringBytes(SubmitRequest.shape.correlationId)).toBe(4 * 256 + 3);
    expect(maxStringBytes(DurableSubmission.shape.correlationId)).toBe(4 * 200 + 3);
    expect(maxStringBytes(Result.shape.attempt)).toBe(0);
  });

  it("codec - a task id of 8 KB, 128 KB (str32) or not ASCII is refused unread, naming the field", () => {
    for (const taskId of ["x".repeat(8 * 1024), "x".repeat(128 * 1024), "é".repeat(4000)]) {
      const err = refusal(Result, encode(Result, { ...result, taskId }));
      expect(err.paths).toEqual(["taskId"]);
      const n = Buffer.byteLength(taskId);
      expect(err.message).toBe(
        `invalid message: taskId: a string of ${n} bytes, longer than the field can hold`,
      );
    }
    // An enum and a number field: no string that long could be one.
    const domain = refusal(Task, mpEncode({ taskId: "t", domain: "p".repeat(5000) }));
    expect(domain.paths).toEqual(["domain"]);
    const seq = refusal(Result, encode(Result, { ...result, seq: "9".repeat(2000) as never }));
    expect(seq.paths).toEqual(["seq"]);
  });

  it("codec - a key named twice is read as the general path reads it (the last copy wins); up to the floor the schema words the error, as before", () => {
    const valid = { taskId: "t", reason: "r" };
    const longFirst = mapOf([["taskId", "a".repeat(1025)], ...Object.entries(valid)]);
    expect(decode(CancelTask, longFirst)).toEqual(valid);
    const longLast = mapOf([...Object.entries(valid), ["taskId", "y".repeat(70_000)]]);
    expect(refusal(CancelTask, longLast).paths).toEqual(["taskId"]);
    const short = refusal(Result, encode(Result, { ...result, taskId: "x".repeat(STRING_FLOOR) }));
    expect(short.message).toMatch(
      /^invalid message: taskId: too big: expected string to have <=256 characters/i,
    );
    // At the bound a string still reaches the schema: 1,024 four-byte characters are a valid reason.
    const reason = "😀".repeat(1024);
    expect(decode(CancelTask, encode(CancelTask, { taskId: "t", reason })).reason).toBe(reason);
  });

  it("codec - a key the schema does not have is passed over: a valid message with it decodes as without it", () => {
    const without = decode(Result, encode(Result, result));
    for (const extra of [
      "z".repeat(200_000),
      { deep: [[[1, 2, { a: "b" }]]] },
      new Uint8Array(5000),
    ]) {
      const withExtra = mapOf([...Object.entries(result), ["futureField", extra]]);
      expect(decode(Result, withExtra)).toEqual(without);
    }
    // The schema's own fields around it are still checked.
    const bad = mapOf([
      ...Object.entries({ ...result, seq: -1 }),
      ["futureField", "z".repeat(5000)],
    ]);
    expect(refusal(Result, bad).paths).toEqual(["seq"]);
    // An unknown key over a request schema: the request is refused for what it lacks, not read.
    const submit = refusal(
      DurableSubmission,
      mpEncode({ taskId: "x".repeat(128 * 1024), correlationId: "c" }),
    );
    expect(submit.paths).toContain("owner");
  });

  it("codec - what a decoder reads its own way is the general path's: overlong key bytes, a byte-order mark, other object modes and rewriting checks", () => {
    const general = (schema: z.ZodType, b: Uint8Array) => {
      let raw: unknown;
      try {
        raw = decodeRaw(b, {}, true);
      } catch {
        return { ok: false };
      }
      const p = schema.safeParse(raw);
      return p.success ? { ok: true, value: p.data } : { ok: false };
    };
    const now = (schema: z.ZodType, b: Uint8Array) => {
      try {
        const value: unknown = decode(schema, b);
        return { ok: true, value };
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidMessageError);
        return { ok: false };
      }
    };
    const hex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
    const cases: [z.ZodType, Uint8Array][] = [
      // {taskId: "t", reason: "r", <"taskId" with an overlong "t">: 5 | "zz"}, and an overlong __proto__
      [CancelTask, hex("83a67461736b4964a174a6726561736f6ea172a7c1b461736b496405")],
      [CancelTask, hex("83a67461736b4964a174a6726561736f6ea172a7c1b461736b4964a27a7a")],
      [CancelTask, hex("83a67461736b4964a174a6726561736f6ea172aac19f5f70726f746f5f5f80")],
      // A leading byte-order mark: 256 code points once a decoder drops it; a short unknown "é".
      [
        CancelTask,
        mapOf([
          ["taskId", "\uFEFF" + "😀".repeat(256)],
          ["reason", "r"],
          ["x", "é"],
        ]),
      ],
      [
        z.strictObject({ a: z.number() }),
        mapOf([
          ["a", 1],
          ["b", "z".repeat(2000)],
        ]),
      ],
      [
        z.looseObject({ a: z.number() }),
        mapOf([
          ["a", 1],
          ["b", 2],
        ]),
      ],
      [
        z.object({ a: z.number() }).catchall(z.string()),
        mapOf([
          ["a", 1],
          ["b", 2],
        ]),
      ],
      [z.object({ a: z.string().trim().max(5) }), mapOf([["a", `abc${" ".repeat(3000)}`]])],
      [z.object({ a: z.coerce.number() }), mapOf([["a", `${" ".repeat(2000)}5`]])],
    ];
    for (const [schema, b] of cases) expect(now(schema, b)).toEqual(general(schema, b));
  });
});
