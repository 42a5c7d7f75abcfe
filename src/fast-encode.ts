/**
 * MessagePack for the flat maps every hop sends (Task, Result and the other envelopes), written
 * byte for byte as the reference encoder (`@msgpack/msgpack`, `ignoreUndefined`) writes them, in
 * about a third of its time: keys are encoded once and kept, ASCII strings and numbers are
 * written directly, and only nested values (a payload map, an error body) go to the reference.
 * Whatever it does not write itself exactly (a string that is not ASCII, a key it does not keep,
 * a value that is not a plain object) it leaves to the reference by returning undefined, so the
 * bytes on the wire are the reference's in every case (test/fast-encode.test.ts).
 */
import { Encoder } from "@msgpack/msgpack";
import { MessageSchemas } from "../subjects/index.js";

/** Keys learnt besides the contract's field names (which are always kept). */
const MAX_LEARNT_KEYS = 512;
/** A string longer than this is written by the reference (the ASCII check is a loop). */
const MAX_FAST_STRING = 255;

const keys = new Map<string, Uint8Array>();
let learnt = 0;
/** The reference, for nested values: one level shallower, as they sit one level down. */
const nested = new Encoder({ ignoreUndefined: true, maxDepth: 99 });

/**
 * Messages are written straight into a slab and handed out as views of it; a slab is never
 * written again where a message was handed out (the connection may still hold it), and a new
 * one starts when a message does not fit. As Node's pool of small buffers, one kept message
 * keeps at most its slab.
 */
const SLAB = 8192;
let buf = new Uint8Array(SLAB);
let view = new DataView(buf.buffer);
/** Where the message being written starts, and the next byte. */
let start = 0;
let pos = 0;
/** Calls so far: a getter that encodes while a message is written makes that message void. */
let calls = 0;

function room(n: number): void {
  if (pos + n <= buf.length) return;
  const written = pos - start;
  let size = SLAB;
  while (size < 2 * (written + n)) size *= 2;
  const next = new Uint8Array(size);
  next.set(buf.subarray(start, pos));
  buf = next;
  view = new DataView(buf.buffer);
  start = 0;
  pos = written;
}

/** The key's fixstr bytes, kept; undefined for a key it will not keep (not ASCII, long, many). */
function keyOf(k: string): Uint8Array | undefined {
  const kept = keys.get(k);
  if (kept !== undefined) return kept;
  if (learnt >= MAX_LEARNT_KEYS) return undefined;
  learnt++;
  return keep(k);
}

function keep(k: string): Uint8Array | undefined {
  if (k.length >= 32 || !isAscii(k)) return undefined;
  const b = new Uint8Array(1 + k.length);
  b[0] = 0xa0 + k.length;
  for (let i = 0; i < k.length; i++) b[i + 1] = k.charCodeAt(i);
  keys.set(k, b);
  return b;
}

// Every message's field names, kept from the start whatever else is learnt.
for (const schema of Object.values(MessageSchemas)) {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  for (const k of Object.keys(shape ?? {})) keep(k);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** False when the string is not one it writes (the caller falls back). */
function writeString(s: string): boolean {
  const n = s.length;
  if (n > MAX_FAST_STRING) return false;
  room(2 + n);
  if (n < 32) buf[pos++] = 0xa0 + n;
  else {
    buf[pos++] = 0xd9;
    buf[pos++] = n;
  }
  // Written and checked in one loop: a character past ASCII abandons the whole message.
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return false;
    buf[pos++] = c;
  }
  return true;
}

/** As the reference's encodeNumber: the smallest integer form for a safe integer, else float64. */
function writeNumber(x: number): void {
  room(9);
  if (Number.isSafeInteger(x)) {
    if (x >= 0) {
      if (x < 0x80) buf[pos++] = x;
      else if (x < 0x100000000) writeSized(0xcc, x);
      else {
        buf[pos++] = 0xcf;
        view.setUint32(pos, Math.floor(x / 0x100000000));
        view.setUint32(pos + 4, x >>> 0);
        pos += 8;
      }
      return;
    }
    if (x >= -0x20) buf[pos++] = 0xe0 | (x + 0x20);
    else if (x >= -0x80) {
      buf[pos++] = 0xd0;
      view.setInt8(pos++, x);
    } else if (x >= -0x8000) {
      buf[pos++] = 0xd1;
      view.setInt16(pos, x);
      pos += 2;
    } else if (x >= -0x80000000) {
      buf[pos++] = 0xd2;
      view.setInt32(pos, x);
      pos += 4;
    } else {
      buf[pos++] = 0xd3;
      view.setBigInt64(pos, BigInt(x));
      pos += 8;
    }
    return;
  }
  buf[pos++] = 0xcb;
  view.setFloat64(pos, x);
  pos += 8;
}

/**
 * `n` (below 2^32) in the narrowest of a family of three MessagePack forms: `tag8` and a byte,
 * `tag8 + 1` and 16 bits, `tag8 + 2` and 32 bits (uint 0xcc, bin 0xc4). The caller made room.
 */
function writeSized(tag8: number, n: number): void {
  if (n < 0x100) {
    buf[pos++] = tag8;
    buf[pos++] = n;
  } else if (n < 0x10000) {
    buf[pos++] = tag8 + 1;
    view.setUint16(pos, n);
    pos += 2;
  } else {
    buf[pos++] = tag8 + 2;
    view.setUint32(pos, n);
    pos += 4;
  }
}

function writeBinary(b: Uint8Array): void {
  const n = b.byteLength;
  room(5 + n);
  writeSized(0xc4, n);
  buf.set(b, pos);
  pos += n;
}

function writeBytes(b: Uint8Array): void {
  const n = b.length;
  room(n);
  // Keys are a few bytes: a loop is cheaper than set's native call.
  if (n <= 32) for (let i = 0; i < n; i++) buf[pos++] = b[i]!;
  else {
    buf.set(b, pos);
    pos += n;
  }
}

/**
 * The message's bytes, exactly as the reference encoder writes them, or undefined when the value
 * is not a plain object whose keys and top-level strings it writes itself.
 */
export function encodeFlat(value: unknown): Uint8Array | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  if (Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const obj = value as Record<string, unknown>;
  const call = ++calls;
  // A message abandoned half-way leaves its bytes unused: the next one starts over them.
  pos = start;
  room(1);
  pos++;
  let size = 0;
  for (const k in obj) {
    // Own fields only, as the reference (for-in also walks Object.prototype's enumerable ones).
    // V8 reduces this call inside a for-in over the same object to a check of its shape
    // (Object.hasOwn it does not: about 150 ns more per message).
    if (!Object.prototype.hasOwnProperty.call(obj, k)) return undefined;
    const v = obj[k];
    if (v === undefined) continue;
    // The count goes in the fixmap byte (the reference writes map16 from 16 fields on).
    if (++size >= 16) return undefined;
    const key = keyOf(k);
    if (key === undefined) return undefined;
    writeBytes(key);
    switch (typeof v) {
      case "string":
        if (!writeString(v)) return undefined;
        break;
      case "number":
        writeNumber(v);
        break;
      case "boolean":
        room(1);
        buf[pos++] = v ? 0xc3 : 0xc2;
        break;
      case "object":
        if (v === null) {
          room(1);
          buf[pos++] = 0xc0;
        } else if (v instanceof Uint8Array) writeBinary(v);
        else writeBytes(nested.encodeSharedRef(v));
        break;
      default:
        return undefined;
    }
  }
  // A getter (of a field, or inside a nested value) encoded another message meanwhile: it
  // started over these bytes, and may have handed them out. The reference writes this one.
  if (calls !== call) return undefined;
  buf[start] = 0x80 + size;
  const out = buf.subarray(start, pos);
  start = pos;
  // A slab grown for a large message is left to it: the next small one would pin it.
  if (buf.length > SLAB) {
    buf = new Uint8Array(SLAB);
    view = new DataView(buf.buffer);
    start = pos = 0;
  }
  return out;
}
