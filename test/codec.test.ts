import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encode as mpEncode } from "@msgpack/msgpack";
import { decode, decodeRaw, encode, encodeRaw } from "../src/codec.js";
import { InvalidMessageError } from "../src/errors.js";
import { MessageSchemas, MAX_MESSAGE_BYTES, Task, type MessageName } from "../subjects/index.js";

const validTask: Task = {
  taskId: "t-1",
  correlationId: "c-1",
  requiredCapabilities: 0x11,
  domain: "process",
  priority: 3,
  payload: { pid: 42, names: ["sshd"] },
  createdAt: 1_700_000_000_000,
  deadline: 1_700_000_005_000,
  attempt: 0,
};

/** Either a value the schema accepts, or InvalidMessageError: nothing else may come out. */
function decodesSafely(name: MessageName, bytes: Uint8Array): void {
  const schema = MessageSchemas[name];
  try {
    const v = decode(schema, bytes, { subject: "x.y" });
    expect(schema.safeParse(v).success).toBe(true);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidMessageError);
    expect((err as InvalidMessageError).code).toBe("INVALID_MESSAGE");
    expect((err as InvalidMessageError).subject).toBe("x.y");
  }
}

// A msgpack-shaped value generator: maps with the schemas' own keys make mutations land near
// valid messages, not only in the "not an object" branch.
const keys = fc.constantFrom(
  "taskId",
  "correlationId",
  "requiredCapabilities",
  "domain",
  "priority",
  "payload",
  "createdAt",
  "deadline",
  "attempt",
  "id",
  "type",
  "capabilities",
  "health",
  "seq",
  "final",
  "status",
  "error",
  "code",
  "message",
  "__proto__",
  "constructor",
  "labels",
  "results",
  "kind",
  "collectorId",
);
const anyValue = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(keys, tie("v"), { maxKeys: 6 }),
  ),
})).v;

describe("codec - decode returns a valid value or InvalidMessageError", () => {
  const names = Object.keys(MessageSchemas) as MessageName[];
  for (const name of names) {
    it(`codec - ${name} survives 10,000 random and mutated inputs`, () => {
      const base = mpEncode(name === "Task" ? validTask : { taskId: "t", id: "x", kind: "joined" });
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 64 }),
            anyValue.map((v) => mpEncode(v)),
            fc
              .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })
              .map((muts) => {
                const b = Uint8Array.from(base);
                for (const [i, v] of muts) b[i % b.length] = v;
                return b;
              }),
            fc.nat({ max: base.length }).map((n) => base.subarray(0, n)),
          ),
          (bytes) => decodesSafely(name, bytes),
        ),
        { numRuns: 10_000 },
      );
    });
  }

  it("codec - a binary value decoded from a view into a larger buffer keeps only its message alive", () => {
    const msg = encodeRaw({ p: new Uint8Array([1, 2, 3]) });
    const read = new Uint8Array(64 * 1024); // a socket read holding many messages
    read.set(msg, 1000);
    const v = decodeRaw(read.subarray(1000, 1000 + msg.length)) as { p: Uint8Array };
    expect([...v.p]).toEqual([1, 2, 3]);
    expect(v.p.buffer.byteLength).toBe(msg.length);
  });

  it("codec - a valid Task round-trips", () => {
    expect(decode(Task, encode(Task, validTask))).toEqual(validTask);
  });

  it("codec - zod issue paths are reported", () => {
    const bad = mpEncode({ ...validTask, priority: 9, taskId: "a.b" });
    const err = (() => {
      try {
        decode(Task, bad);
      } catch (e) {
        return e as InvalidMessageError;
      }
    })();
    expect(err).toBeInstanceOf(InvalidMessageError);
    expect(err?.paths).toEqual(expect.arrayContaining(["taskId", "priority"]));
  });

  it("codec - oversized input is rejected before it is parsed", () => {
    const huge = new Uint8Array(MAX_MESSAGE_BYTES + 1); // zeros: would decode as the integer 0
    expect(() => decode(Task, huge)).toThrow(/exceeds/);
    expect(() => decode(Task, encode(Task, validTask), { maxBytes: 10 })).toThrow(
      InvalidMessageError,
    );
  });

  it("codec - prototype keys cannot pollute", () => {
    const evil = mpEncode({
      ...validTask,
      payload: JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
    });
    decodesSafely("Task", evil);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
