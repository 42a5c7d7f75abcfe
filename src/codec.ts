import { Decoder, Encoder } from "@msgpack/msgpack";
import { Unpackr } from "msgpackr";
import { encodeFlat } from "./fast-encode.js";
import type { z } from "zod";
import { InvalidMessageError } from "./errors.js";
import { scanMessagePack, type ScanFailure } from "./msgpack-scan.js";
import { fastCheckOf, fieldCheckOf } from "./fast-validate.js";
import { readFlat, type FlatLimits } from "./flat-decode.js";
import { flatKeysOf, flatObject } from "./flat-keys.js";
import {
  CollectorAdvert,
  MAX_ADVERT_BYTES,
  MAX_CONTAINER_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_ELEMENTS,
  MAX_NESTING_DEPTH,
} from "../subjects/schemas.js";

/**
 * MessagePack + zod. `decode` returns a valid value or throws InvalidMessageError: nothing else,
 * whatever the bytes. `encode` does not validate: values built by our own code are typed, and a
 * message is validated once, by its receiver.
 *
 * Hostile input costs time in proportion to its size: the size is checked first, then one linear
 * scan of the bytes (src/msgpack-scan.ts) bounds nesting depth and the number of values before
 * the decoder builds anything, and a message whose schema is an object must start with a map.
 */

const LIMIT = MAX_MESSAGE_BYTES;
const encoder = new Encoder({ ignoreUndefined: true });
/**
 * The decoder of every message that holds no extension value: msgpackr, plain MessagePack only
 * (no records, maps as objects, 64-bit integers as numbers), about twice as fast as the reference
 * decoder below and with the same value for the same bytes (test/codec-decoders.test.ts). The
 * scan sends what msgpackr would read differently to the reference decoder: extension values
 * (msgpackr gives some of them its own meaning: records, references) and map keys it converts
 * where the reference refuses (nil, booleans, `__proto__`), short strings that are not ASCII (invalid
 * UTF-8 in them reads differently), and containers longer than the
 * reference accepts.
 */
const fast = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" });
const decoder = new Decoder({
  maxStrLength: LIMIT,
  maxBinLength: LIMIT,
  maxArrayLength: MAX_CONTAINER_LENGTH,
  maxMapLength: MAX_CONTAINER_LENGTH,
  maxExtLength: LIMIT,
});

/** Messages with a tighter size bound than MAX_MESSAGE_BYTES, whoever decodes them. */
const MAX_BYTES_OF = new Map<z.ZodType, number>([[CollectorAdvert, MAX_ADVERT_BYTES]]);

export interface DecodeOptions {
  /** Subject the bytes came from, carried in the error. */
  subject?: string;
  /** Largest accepted size in bytes (default MAX_MESSAGE_BYTES, MAX_ADVERT_BYTES for adverts). */
  maxBytes?: number;
  /** Deepest nesting accepted (default MAX_NESTING_DEPTH). */
  maxDepth?: number;
  /** Most values in one message (default MAX_MESSAGE_ELEMENTS). */
  maxElements?: number;
}

const STAGE: Record<ScanFailure, string> = {
  depth: "<depth>",
  elements: "<elements>",
  truncated: "<msgpack>",
  malformed: "<msgpack>",
  trailing: "<msgpack>",
};

/** Encodes a value of the schema's type to MessagePack. */
export function encode<S extends z.ZodType>(_schema: S, value: z.input<S>): Uint8Array {
  return encodeFlat(value) ?? encoder.encode(value);
}

/** MessagePack without a schema (payloads inside messages, benchmarks). */
export function encodeRaw(value: unknown): Uint8Array {
  return encodeFlat(value) ?? encoder.encode(value);
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
  const max = MAX_BYTES_OF.get(schema);
  if (max !== undefined && opts.maxBytes === undefined) opts = { ...opts, maxBytes: max };
  // A flat envelope is read in one pass; anything else (and any error) takes the general path,
  // but for a string too long for its field, refused unread.
  const keys = flatKeysOf(schema);
  if (keys !== undefined && bytes.length <= (opts.maxBytes ?? LIMIT)) {
    if (readFlat(bytes, keys, flatLimits(opts))) {
      const fast = fieldCheckOf(schema)?.check(keys.values);
      if (fast !== undefined) return fast as z.output<S>;
      return parse(schema, flatObject(keys), opts);
    }
    if (keys.refusal !== undefined) {
      const { field, bytes: n } = keys.refusal;
      throw new InvalidMessageError(
        `invalid message: ${field}: a string of ${n} bytes, longer than the field can hold`,
        { subject: opts.subject, paths: [field] },
      );
    }
  }
  const raw = decodeRaw(bytes, opts, keys !== undefined);
  // Task, Result and the advert: a hand-written check first, zod for what it does not accept.
  const fast = fastCheckOf(schema)?.(raw);
  if (fast !== undefined) return fast as z.output<S>;
  return parse(schema, raw, opts);
}

/** zod's verdict on a decoded value, as the codec's typed error. */
function parse<S extends z.ZodType>(schema: S, raw: unknown, opts: DecodeOptions): z.output<S> {
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

/**
 * Decodes MessagePack without a schema; InvalidMessageError on failure. `mustBeMap`: reject any
 * other top-level type before decoding (decode sets it when the schema is an object).
 */
export function decodeRaw(bytes: Uint8Array, opts: DecodeOptions = {}, mustBeMap = false): unknown {
  const max = opts.maxBytes ?? LIMIT;
  if (bytes.length > max) {
    throw new InvalidMessageError(`message of ${bytes.length} bytes exceeds ${max}`, {
      subject: opts.subject,
      paths: ["<size>"],
    });
  }
  const scan = scanMessagePack(bytes, {
    maxDepth: opts.maxDepth ?? MAX_NESTING_DEPTH,
    maxElements: opts.maxElements ?? MAX_MESSAGE_ELEMENTS,
    regularLength: MAX_CONTAINER_LENGTH,
  });
  if (!scan.ok) {
    throw new InvalidMessageError(`not accepted: ${scan.detail} (at byte ${scan.offset})`, {
      subject: opts.subject,
      paths: [STAGE[scan.reason]],
    });
  }
  if (mustBeMap && !isMapHeader(bytes[0])) {
    throw new InvalidMessageError("invalid message: <root>: expected a map", {
      subject: opts.subject,
      paths: ["<root>"],
    });
  }
  // Binary (and extension) values come out as views into what they were decoded from. When that
  // is itself a view into a larger buffer (a socket read holding many messages), decode from a
  // copy: a result kept for its payload then keeps this message alive, not the whole read. A
  // plain Uint8Array copy: Buffer's `slice`, on what NATS hands over, is a view.
  const views = scan.binary || scan.irregular;
  const own = views && bytes.byteLength < bytes.buffer.byteLength ? new Uint8Array(bytes) : bytes;
  try {
    return decodeWith(own, scan.irregular);
  } catch (err) {
    throw new InvalidMessageError(`not MessagePack: ${describe(err)}`, {
      subject: opts.subject,
      paths: ["<msgpack>"],
      cause: err,
    });
  }
}

/** fixmap, map16 or map32. */
function isMapHeader(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf);
}

/** The decoder the scan chose: the reference for what msgpackr reads its own way. */
function decodeWith(own: Uint8Array, irregular: boolean): unknown {
  return irregular ? decoder.decode(own) : fast.unpack(own);
}

const DEFAULT_FLAT_LIMITS: FlatLimits = {
  maxDepth: MAX_NESTING_DEPTH,
  maxElements: MAX_MESSAGE_ELEMENTS,
  regularLength: MAX_CONTAINER_LENGTH,
  decodeNested: decodeWith,
};

function flatLimits(opts: DecodeOptions): FlatLimits {
  if (opts.maxDepth === undefined && opts.maxElements === undefined) return DEFAULT_FLAT_LIMITS;
  return {
    ...DEFAULT_FLAT_LIMITS,
    maxDepth: opts.maxDepth ?? MAX_NESTING_DEPTH,
    maxElements: opts.maxElements ?? MAX_MESSAGE_ELEMENTS,
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200);
}
