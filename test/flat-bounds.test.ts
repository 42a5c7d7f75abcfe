/**
 * Hostile strings cost no more than their bytes: a top-level string longer than its field could
 * hold is refused before it is built (the typed error names the field, in words of the codec's
 * own, where zod would have worded a value it was given), and a key the schema does not have is
 * passed over unread, with the same value as the general path's once the schema drops it.
 */
import { describe, expect, it } from "vitest";
import { encode as mpEncode } from "@msgpack/msgpack";
import type { z } from "zod";
import { decode, encode } from "../src/codec.js";
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

const result: Result = {
  taskId: "t-1",
  correlationId: "c-1",
  collectorId: "col-1",
  seq: 0,
  final: true,
  status: "ok",
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
    expect(maxStringBytes(Id)).toBe(4 * 256);
    expect(maxStringBytes(Task.shape.domain)).toBe(4 * "performance".length);
    expect(maxStringBytes(Task.shape.priority)).toBe(0);
    expect(maxStringBytes(Task.shape.payload)).toBe(Infinity);
    expect(maxStringBytes(SubmitRequest.shape.correlationId)).toBe(4 * 256);
    expect(maxStringBytes(DurableSubmission.shape.correlationId)).toBe(4 * 200);
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

  it("codec - a string named twice is bounded too; up to the floor the schema words the error, as before", () => {
    const twice = mapOf([
      ["taskId", "a"],
      ["taskId", "y".repeat(70_000)],
    ]);
    expect(refusal(Result, twice).paths).toEqual(["taskId"]);
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
});
