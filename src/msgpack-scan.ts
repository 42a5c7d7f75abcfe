/**
 * A linear pre-scan of MessagePack bytes: walks the encoding once, without building a value,
 * counting nesting depth and values, and stops at the first byte that breaks a limit or the
 * format. The codec runs it before the decoder so that a hostile message costs time in
 * proportion to the bytes read, never to what decoding them would build. It knows nothing of the
 * decoder library, so the decoder can change (e.g. to msgpackr) without weakening the bound.
 */

export interface ScanLimits {
  /** Deepest nesting of arrays and maps; the top-level value counts as depth 1 when it is one. */
  maxDepth: number;
  /** Most values in all (every array item, map key and map value, and the top-level value). */
  maxElements: number;
  /** A longer array or map is not refused, only reported `irregular` (default: none is). */
  regularLength?: number;
  /** The value may be followed by other bytes (`end` says where it ends); default: it fills them. */
  prefix?: boolean;
}

export type ScanFailure = "depth" | "elements" | "truncated" | "malformed" | "trailing";

export type ScanResult =
  | {
      ok: true;
      elements: number;
      depth: number;
      end: number;
      /**
       * The bytes hold something MessagePack decoders read each their own way: an extension
       * value, a map key that is neither a string nor a number, the key `__proto__`, a string of
       * at most 200 bytes that is not ASCII, or an array or map longer than `regularLength`.
       */
      irregular: boolean;
      /** The bytes hold a binary value (decoders hand binaries out as views of the bytes). */
      binary: boolean;
    }
  | {
      ok: false;
      reason: ScanFailure;
      /** Offset of the byte where the scan stopped (the header that broke the limit). */
      offset: number;
      elements: number;
      depth: number;
      detail: string;
    };

// What each type byte is: one table, read once per value.
const SCALAR = 0; // the type byte is the value (fixint, nil, booleans)
const FIXED = 1; // SIZE more bytes (numbers, fixext with its type byte)
const SIZED = 2; // a SIZE-byte length, EXTRA more bytes (ext type), then that many bytes
const FIXMAP = 3;
const FIXARRAY = 4;
const FIXSTR = 5;
const ARRAY = 6; // array16/32: a SIZE-byte count
const MAP = 7; // map16/32: a SIZE-byte count of pairs
const INVALID = 8;
const KIND = new Uint8Array(256);
const SIZE = new Uint8Array(256);
const EXTRA = new Uint8Array(256);
{
  const set = (t: number, kind: number, size = 0, extra = 0) => {
    KIND[t] = kind;
    SIZE[t] = size;
    EXTRA[t] = extra;
  };
  for (let t = 0x80; t <= 0x8f; t++) set(t, FIXMAP);
  for (let t = 0x90; t <= 0x9f; t++) set(t, FIXARRAY);
  for (let t = 0xa0; t <= 0xbf; t++) set(t, FIXSTR);
  set(0xc1, INVALID);
  for (const [t, n] of [
    [0xc4, 1],
    [0xc5, 2],
    [0xc6, 4],
    [0xd9, 1],
    [0xda, 2],
    [0xdb, 4],
  ] as const) {
    set(t, SIZED, n);
  }
  set(0xc7, SIZED, 1, 1);
  set(0xc8, SIZED, 2, 1);
  set(0xc9, SIZED, 4, 1);
  for (const [t, n] of [
    [0xca, 4],
    [0xcb, 8],
    [0xcc, 1],
    [0xcd, 2],
    [0xce, 4],
    [0xcf, 8],
    [0xd0, 1],
    [0xd1, 2],
    [0xd2, 4],
    [0xd3, 8],
    [0xd4, 2],
    [0xd5, 3],
    [0xd6, 5],
    [0xd7, 9],
    [0xd8, 17],
  ] as const) {
    set(t, FIXED, n);
  }
  set(0xdc, ARRAY, 2);
  set(0xdd, ARRAY, 4);
  set(0xde, MAP, 2);
  set(0xdf, MAP, 4);
}

/**
 * The stack of values still expected per open level, shared by every scan (a scan runs to its end
 * without yielding, so no two use it at once): a scan allocates nothing unless it fails.
 */
let shared = new Float64Array(129);
/** Whether each open level is a map (1) or an array (0), beside `shared`. */
let sharedMaps = new Uint8Array(129);
/** `__proto__` in UTF-8. */
const PROTO = Array.from("__proto__", (c) => c.charCodeAt(0));

/** The 9 bytes at `at` are the key `__proto__`. */
export function isProto(b: Uint8Array, at: number): boolean {
  for (let i = 0; i < 9; i++) if (b[at + i] !== PROTO[i]) return false;
  return true;
}

/**
 * Strings up to this many bytes that are not plain ASCII are irregular: decoders read invalid
 * UTF-8 in short strings each their own way (longer ones all go through TextDecoder).
 */
export const SHORT_STRING = 200;

/** A byte in [from, to) is not ASCII. */
export function hasHighByte(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i]! >= 0x80) return true;
  return false;
}

/** Key types every decoder reads alike: strings and numbers. */
function regularKey(t: number): boolean {
  return (
    t <= 0x7f ||
    t >= 0xe0 ||
    (t >= 0xa0 && t <= 0xbf) ||
    (t >= 0xca && t <= 0xd3) ||
    (t >= 0xd9 && t <= 0xdb)
  );
}

function fail(
  reason: ScanFailure,
  offset: number,
  elements: number,
  depth: number,
  detail: string,
): ScanResult {
  return { ok: false, reason, offset, elements, depth, detail };
}

function readUint(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[at + i]!;
  return v;
}

/**
 * Scans one MessagePack value that must fill `bytes` exactly (or start them, with `prefix`). O(bytes.length) time and
 * O(maxDepth) memory, whatever the content.
 */
export function scanMessagePack(bytes: Uint8Array, limits: ScanLimits): ScanResult {
  const len = bytes.length;
  const maxDepth = limits.maxDepth;
  const maxElements = limits.maxElements;
  // Values still expected at each open level; level 0 holds the one top-level value, and
  // `depth` is the number of open containers.
  // Containers nest at most one per byte, so the stack never needs more than len levels.
  const levels = Math.min(maxDepth, len) + 1;
  if (shared.length < levels) {
    shared = new Float64Array(levels);
    sharedMaps = new Uint8Array(levels);
  }
  const pending = shared;
  const isMap = sharedMaps;
  const regularLength = limits.regularLength ?? Infinity;
  pending[0] = 1;
  isMap[0] = 0;
  let depth = 0;
  let pos = 0;
  let elements = 0;
  let maxSeen = 0;
  let irregular = false;
  let binary = false;
  for (;;) {
    while (pending[depth] === 0) {
      if (depth === 0) {
        if (pos !== len && limits.prefix !== true)
          return fail("trailing", pos, elements, maxSeen, `${len - pos} bytes after the value`);
        return { ok: true, elements, depth: maxSeen, end: pos, irregular, binary };
      }
      depth--;
    }
    pending[depth]!--;
    if (pos >= len)
      return fail("truncated", pos, elements, maxSeen, "the message ends inside a value");
    if (elements === maxElements)
      return fail("elements", pos, elements, maxSeen, `more than ${maxElements} values`);
    elements++;
    const at = pos;
    const t = bytes[pos++]!;
    const kind = KIND[t]!;
    // A map's values alternate key, value: a key leaves an odd count to read at its level.
    const key = isMap[depth] === 1 && pending[depth]! % 2 === 1;
    if (key && !regularKey(t)) irregular = true;
    if (kind === SCALAR) continue;
    let children = -1;
    switch (kind) {
      case FIXSTR:
        if (hasHighByte(bytes, pos, Math.min(pos + (t & 0x1f), len))) irregular = true;
        pos += t & 0x1f;
        if (key && (t & 0x1f) === 9 && isProto(bytes, pos - 9)) irregular = true;
        break;
      case FIXED:
        if (t >= 0xd4) irregular = true; // fixext 1..16
        pos += SIZE[t]!;
        break;
      case SIZED: {
        const n = SIZE[t]!;
        if (pos + n > len)
          return fail("truncated", at, elements, maxSeen, "the message ends inside a header");
        const extra = EXTRA[t]!;
        if (extra !== 0)
          irregular = true; // ext 8/16/32
        else if (t <= 0xc6) binary = true; // bin 8/16/32
        const length = readUint(bytes, pos, n);
        pos += n + length + extra;
        const str = t >= 0xd9 && length <= SHORT_STRING;
        if (str && hasHighByte(bytes, pos - length, Math.min(pos, len))) irregular = true;
        if (key && length === 9 && isProto(bytes, pos - 9)) irregular = true;
        break;
      }
      case FIXMAP:
        children = 2 * (t & 0x0f);
        if (t - 0x80 > regularLength) irregular = true;
        break;
      case FIXARRAY:
        children = t & 0x0f;
        if (t - 0x90 > regularLength) irregular = true;
        break;
      case ARRAY:
      case MAP: {
        const n = SIZE[t]!;
        if (pos + n > len)
          return fail("truncated", at, elements, maxSeen, "the message ends inside a header");
        const count = readUint(bytes, pos, n);
        pos += n;
        children = kind === MAP ? 2 * count : count;
        if (count > regularLength) irregular = true;
        break;
      }
      default:
        return fail(
          "malformed",
          at,
          elements,
          maxSeen,
          `0x${t.toString(16)} is no MessagePack type`,
        );
    }
    if (pos > len)
      return fail("truncated", at, elements, maxSeen, "a value is longer than the message");
    if (children < 0) continue;
    // A container: depth + 1 is its own depth.
    if (depth + 1 > maxDepth)
      return fail("depth", at, elements, maxSeen, `nested deeper than ${maxDepth}`);
    if (depth + 1 > maxSeen) maxSeen = depth + 1;
    // Every value takes at least one byte: a count beyond what is left is a lie.
    if (children > len - pos)
      return fail("truncated", at, elements, maxSeen, "more values than bytes left");
    if (children > 0) {
      pending[++depth] = children;
      isMap[depth] = kind === FIXMAP || kind === MAP ? 1 : 0;
    }
  }
}
