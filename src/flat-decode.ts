/**
 * A one-pass reader for the flat envelopes of every round trip (Task, Result, the advert): a
 * top-level map whose keys are the schema's field names, read straight into the object the
 * general path builds, without its pre-scan, its copy of the message or the decoder's per-value
 * dispatch. Scalars, ASCII strings and binaries it reads itself (a binary is copied out of the
 * message, so a kept payload holds at most a small slab, never the socket read it came in); a
 * nested value (a payload map, the labels) is scanned and decoded on its own exactly as the
 * codec decodes a whole message. An ASCII key the schema does not have is passed over without
 * building its value (the schema would drop it) when that value is MessagePack every decoder
 * reads alike. A string longer than its field could hold (more than `maxStrBytes` of the field,
 * and over STRING_FLOOR bytes) is not built: once the rest of the message has read flat,
 * `keys.refusal` names it and the codec throws. For anything else (a string that is not ASCII, a
 * key named twice, a key that is not ASCII, `__proto__`, any byte out of place) it returns false
 * and the codec takes its general path, which gives the error. It never accepts bytes the
 * general path refuses, never refuses bytes it accepts, and gives the same value for the fields
 * the schema reads (test/flat-decode.test.ts, test/flat-bounds.test.ts).
 */
import { SHORT_STRING, hasHighByte, isProto, scanMessagePack } from "./msgpack-scan.js";
import { STRING_FLOOR, keyAt, type FlatKeys, type FlatRefusal } from "./flat-keys.js";

export interface FlatLimits {
  maxDepth: number;
  maxElements: number;
  /** A nested array or map longer than this is irregular, as in the general path. */
  regularLength: number;
  /**
   * Decodes one nested value from its own copy of its bytes, as the general path decodes a whole
   * message (`irregular`: the scan found something the decoders read each their own way).
   */
  decodeNested: (bytes: Uint8Array, irregular: boolean) => unknown;
}

/** A field refused unread, in `values` until the read ends. */
const REFUSED = Symbol("refused");
/** Most fields of a top-level map it reads (a longer map goes to the general path). */
const MAX_FIELDS = 64;
/** Binaries up to this size share slabs; a larger one gets its own copy. */
const SLAB_BINARY = 1024;
const SLAB_BYTES = 8192;

let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Set by `read` for the helpers below: the message being read. */
let b: Uint8Array = slab;
const EMPTY = Buffer.alloc(0);
/** Node's own latin1 reader behind `toString("latin1")`, without its argument checks, when present. */
const latin1Slice = (Buffer.prototype as { latin1Slice?: (from: number, to: number) => string })
  .latin1Slice;
let text: Buffer = EMPTY;

function u32(at: number): number {
  return b[at]! * 0x1000000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
}

function float64(at: number): number {
  if (littleEndian) for (let i = 0; i < 8; i++) f64Bytes[7 - i] = b[at + i]!;
  else for (let i = 0; i < 8; i++) f64Bytes[i] = b[at + i]!;
  return f64[0]!;
}

/** The ASCII string in [from, to), or undefined when a byte is not ASCII. */
function ascii(from: number, to: number): string | undefined {
  for (let i = from; i < to; i++) if (b[i]! > 0x7f) return undefined;
  return latin1Slice !== undefined
    ? latin1Slice.call(text, from, to)
    : text.toString("latin1", from, to);
}

/**
 * A copy of [from, to) as a plain Uint8Array, in the slab when small: never a view of the message
 * (Buffer's `slice`, on what NATS hands over, would be one).
 */
function binary(from: number, to: number): Uint8Array {
  const n = to - from;
  if (n > SLAB_BINARY) return new Uint8Array(b.subarray(from, to));
  if (slabUsed + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  out.set(b.subarray(from, to));
  slabUsed += n;
  return out;
}

/** Values the whole message may still hold, counted down as nested values are read. */
let elementsLeft = 0;

/** Where the last `shortAscii` string ended. */
let strEnd = 0;

/** A fixstr or str8 of ASCII at `at`, or undefined (another type, not ASCII, or cut short). */
function shortAscii(at: number): string | undefined {
  const t = b[at];
  if (t === undefined) return undefined;
  let from: number;
  if (t >= 0xa0 && t <= 0xbf) from = at + 1;
  else if (t === 0xd9 && at + 1 < b.length) from = at + 2;
  else return undefined;
  strEnd = from + (t === 0xd9 ? b[at + 1]! : t & 0x1f);
  return strEnd <= b.length ? ascii(from, strEnd) : undefined;
}

/**
 * A fixmap of short ASCII strings to short ASCII strings (the advert's labels) read in place, as
 * msgpackr reads it (a key named again overwrites), within the same depth and value budget as
 * `nested`; undefined leaves it to `nested`.
 */
function stringMap(at: number, limits: FlatLimits): { value: unknown; end: number } | undefined {
  const n = b[at]! & 0x0f;
  if (limits.maxDepth < 2 || 2 * n > elementsLeft) return undefined;
  const out: Record<string, string> = {};
  let pos = at + 1;
  for (let i = 0; i < n; i++) {
    const key = shortAscii(pos);
    if (key === undefined || key === "__proto__") return undefined;
    const value = shortAscii(strEnd);
    if (value === undefined) return undefined;
    out[key] = value;
    pos = strEnd;
  }
  elementsLeft -= 2 * n;
  return { value: out, end: pos };
}

/** Where the last `sized` string or binary starts. */
let sizedFrom = 0;

/**
 * The end of the string or binary at `at` (its start in `sizedFrom`), Infinity when its length
 * is cut short, or -1 for another type.
 */
function sized(at: number): number {
  const t = b[at];
  if (t === undefined) return -1;
  if (t >= 0xa0 && t <= 0xbf) {
    sizedFrom = at + 1;
    return sizedFrom + (t & 0x1f);
  }
  const w =
    t === 0xd9 || t === 0xc4 ? 1 : t === 0xda || t === 0xc5 ? 2 : t === 0xdb || t === 0xc6 ? 4 : 0;
  if (w === 0) return -1;
  sizedFrom = at + 1 + w;
  if (sizedFrom > b.length) return Infinity;
  return (
    sizedFrom + (w === 1 ? b[at + 1]! : w === 2 ? (b[at + 1]! << 8) | b[at + 2]! : u32(at + 1))
  );
}

/** A string at `at` too long for field `index`: the refusal, or undefined. */
function tooLong(keys: FlatKeys, index: number, at: number): FlatRefusal | undefined {
  const t = b[at]!;
  if (t !== 0xd9 && t !== 0xda && t !== 0xdb) return undefined;
  const end = sized(at);
  const n = end - sizedFrom;
  if (!(n > STRING_FLOOR && n > keys.maxStrBytes[index]! && end <= b.length)) return undefined;
  return { field: keys.names[index]!, bytes: n };
}

/**
 * Passes over the value at `at` of a key the schema does not have: its end, or -1 to take the
 * general path (cut short, past a limit, or bytes the decoders read each their own way, one of
 * which might refuse them).
 */
function skip(at: number, limits: FlatLimits): number {
  const t = b[at];
  if (t === undefined) return -1;
  const end = sized(at);
  if (end >= 0) {
    // A short string that is not ASCII would have the general path read the message with the
    // other decoder (the scan calls it irregular): not passed over.
    const str = t <= 0xbf || t >= 0xd9;
    const short = str && end - sizedFrom <= SHORT_STRING;
    if (end > b.length || (short && hasHighByte(b, sizedFrom, end))) return -1;
    return end;
  }
  if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) return at + 1;
  const scan = scanMessagePack(b.subarray(at), {
    maxDepth: limits.maxDepth - 1,
    maxElements: elementsLeft + 1,
    regularLength: limits.regularLength,
    prefix: true,
  });
  if (!scan.ok || scan.irregular) return -1;
  elementsLeft -= scan.elements - 1;
  return at + scan.end;
}

/** A nested value at `at`: its value and end, or undefined. */
function nested(at: number, limits: FlatLimits): { value: unknown; end: number } | undefined {
  const head = b[at]!;
  if (head >= 0x80 && head <= 0x8f) {
    const map = stringMap(at, limits);
    if (map !== undefined) return map;
  }
  const scan = scanMessagePack(b.subarray(at), {
    // The top-level map is depth 1, and the nested value's own count is already in the budget.
    maxDepth: limits.maxDepth - 1,
    maxElements: elementsLeft + 1,
    regularLength: limits.regularLength,
    prefix: true,
  });
  if (!scan.ok) return undefined;
  elementsLeft -= scan.elements - 1;
  // Only a value holding binaries (or an extension value) needs its own bytes: the decoders hand
  // those out as views. Anything else decodes straight from the message.
  const end = at + scan.end;
  const own = scan.binary || scan.irregular ? binary(at, end) : b.subarray(at, end);
  try {
    const value = limits.decodeNested(own, scan.irregular);
    return { value, end: at + scan.end };
  } catch {
    return undefined;
  }
}

/**
 * Reads `bytes` into `keys.values` and returns true, or false to take the general path. `bytes`
 * must already be within the size limit.
 */
export function readFlat(bytes: Uint8Array, keys: FlatKeys, limits: FlatLimits): boolean {
  keys.refusal = undefined;
  // Empty bytes (a detached buffer among them, which Buffer.from refuses) are the general path's.
  if (bytes.length === 0) return false;
  b = bytes;
  text = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  try {
    return read(bytes, keys, limits);
  } finally {
    // Holds no message past its read.
    b = slab;
    text = EMPTY;
  }
}

function read(bytes: Uint8Array, keys: FlatKeys, limits: FlatLimits): boolean {
  const len = bytes.length;
  let pos = 0;
  let count: number;
  const head = bytes[0];
  if (head === undefined) return false;
  if (head >= 0x80 && head <= 0x8f) {
    count = head & 0x0f;
    pos = 1;
  } else if (head === 0xde && len >= 3) {
    count = (bytes[1]! << 8) | bytes[2]!;
    pos = 3;
  } else return false;
  if (count > MAX_FIELDS || limits.maxDepth < 1 || 1 + 2 * count > limits.maxElements) {
    return false;
  }
  elementsLeft = limits.maxElements - 1 - 2 * count;
  const values = keys.values;
  values.fill(undefined);
  let refusal: FlatRefusal | undefined;
  for (let i = 0; i < count; i++) {
    const k = bytes[pos];
    if (k === undefined || k < 0xa1 || k > 0xbf) return false;
    const kn = k & 0x1f;
    if (pos + 1 + kn > len) return false;
    const index = keyAt(keys, bytes, pos + 1, kn);
    if (index < 0) {
      // Only an ASCII key is surely none of the schema's: a decoder may read other bytes as one
      // of its names (overlong UTF-8), or as `__proto__`, on which the decoders disagree.
      const key = pos + 1;
      if (
        !keys.skipsUnknown ||
        hasHighByte(bytes, key, key + kn) ||
        (kn === 9 && isProto(bytes, key))
      ) {
        return false;
      }
      pos = skip(pos + 1 + kn, limits);
      if (pos < 0) return false;
      continue;
    }
    pos += 1 + kn;
    // A key named twice (no encoder of ours writes one) is the general path's: read here, every
    // repetition would cost a nested decode of its own.
    if (values[index] !== undefined) return false;
    const long = tooLong(keys, index, pos);
    if (long !== undefined) {
      // Refused once the rest of the message reads flat (a later copy of the key would win).
      refusal ??= long;
      values[index] = REFUSED;
      pos = sized(pos);
      continue;
    }
    const t = bytes[pos++];
    if (t === undefined) return false;
    let v: unknown;
    let end = pos;
    if (t <= 0x7f) v = t;
    else if (t >= 0xe0) v = t - 0x100;
    else if (t >= 0xa0 && t <= 0xbf) {
      end = pos + (t & 0x1f);
      if (end > len) return false;
      v = ascii(pos, end);
    } else {
      switch (t) {
        case 0xc0:
          v = null;
          break;
        case 0xc2:
          v = false;
          break;
        case 0xc3:
          v = true;
          break;
        case 0xcc:
          end = pos + 1;
          v = bytes[pos];
          break;
        case 0xcd:
          end = pos + 2;
          v = (bytes[pos]! << 8) | bytes[pos + 1]!;
          break;
        case 0xce:
          end = pos + 4;
          v = end <= len ? u32(pos) : undefined;
          break;
        case 0xcf:
          end = pos + 8;
          v = end <= len ? u32(pos) * 0x100000000 + u32(pos + 4) : undefined;
          break;
        case 0xd0:
          end = pos + 1;
          v = ((bytes[pos]! << 24) >> 24) | 0;
          break;
        case 0xd1:
          end = pos + 2;
          v = (((bytes[pos]! << 8) | bytes[pos + 1]!) << 16) >> 16;
          break;
        case 0xd2:
          end = pos + 4;
          v = end <= len ? u32(pos) | 0 : undefined;
          break;
        case 0xd3:
          end = pos + 8;
          v = end <= len ? (u32(pos) | 0) * 0x100000000 + u32(pos + 4) : undefined;
          break;
        case 0xcb:
          end = pos + 8;
          v = end <= len ? float64(pos) : undefined;
          break;
        case 0xd9:
        case 0xda:
        case 0xdb:
        case 0xc4:
        case 0xc5:
        case 0xc6:
          end = sized(pos - 1);
          if (end > len) return false;
          v = t >= 0xd9 ? ascii(sizedFrom, end) : binary(sizedFrom, end);
          break;
        default: {
          const got = nested(pos - 1, limits);
          if (got === undefined) return false;
          v = got.value;
          end = got.end;
        }
      }
    }
    // A byte read past the end reads as undefined, and no value above is undefined otherwise.
    if (v === undefined || end > len) return false;
    values[index] = v;
    pos = end;
  }
  if (pos !== len) return false;
  if (refusal === undefined) return true;
  keys.refusal = refusal;
  return false;
}
