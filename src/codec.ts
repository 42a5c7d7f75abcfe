import { Decoder, Encoder } from "@msgpack/msgpack";
import type { z } from "zod";
import { InvalidMessageError } from "./errors.js";
import { MAX_MESSAGE_BYTES } from "../subjects/schemas.js";

/**
 * MessagePack + zod. `decode` returns a valid value or throws InvalidMessageError: nothing else,
 * whatever the bytes. `encode` does not validate: values built by our own code are typed, and a
 * message is validated once, by its receiver.
 */

const LIMIT = MAX_MESSAGE_BYTES;
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder({
  maxStrLength: LIMIT,
  maxBinLength: LIMIT,
  maxArrayLength: 100_000,
  maxMapLength: 100_000,
  maxExtLength: LIMIT,
});

export interface DecodeOptions {
  /** Subject the bytes came from, carried in the error. */
  subject?: string;
  /** Largest accepted size in bytes (default MAX_MESSAGE_BYTES). */
  maxBytes?: number;
}

/** Encodes a value of the schema's type to MessagePack. */
export function encode<S extends z.ZodType>(_schema: S, value: z.input<S>): Uint8Array {
  return encoder.encode(value);
}

/** MessagePack without a schema (payloads inside messages, benchmarks). */
export function encodeRaw(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decodes and validates; throws InvalidMessageError on any failure. */
export function decode<S extends z.ZodType>(
  schema: S,
  bytes: Uint8Array,
  opts: DecodeOptions = {},
): z.output<S> {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidMessageError("message is not bytes", {
      subject: opts.subject,
      paths: ["<bytes>"],
    });
  }
  const raw = decodeRaw(bytes, opts);
  let parsed: ReturnType<S["safeParse"]>;
  try {
    parsed = schema.safeParse(raw) as ReturnType<S["safeParse"]>;
  } catch (err) {
    throw new InvalidMessageError(`invalid message: ${describe(err)}`, {
      subject: opts.subject,
      paths: ["<schema>"],
      cause: err,
    });
  }
  if (parsed.success) return parsed.data as z.output<S>;
  const issues = parsed.error.issues;
  const paths = issues.map((i) => (i.path.length ? i.path.map(String).join(".") : "<root>"));
  const first = issues[0];
  const detail = first ? `${paths[0]}: ${first.message}` : "schema mismatch";
  throw new InvalidMessageError(`invalid message: ${detail}`, {
    subject: opts.subject,
    paths,
    cause: parsed.error,
  });
}

/** Decodes MessagePack without a schema; InvalidMessageError on failure. */
export function decodeRaw(bytes: Uint8Array, opts: DecodeOptions = {}): unknown {
  const max = opts.maxBytes ?? LIMIT;
  if (bytes.length > max) {
    throw new InvalidMessageError(`message of ${bytes.length} bytes exceeds ${max}`, {
      subject: opts.subject,
      paths: ["<size>"],
    });
  }
  try {
    return decoder.decode(bytes);
  } catch (err) {
    throw new InvalidMessageError(`not MessagePack: ${describe(err)}`, {
      subject: opts.subject,
      paths: ["<msgpack>"],
      cause: err,
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200);
}
