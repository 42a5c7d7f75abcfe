/**
 * Byte builders for the golden vectors (subjects/vectors/). Most vectors are plain values
 * encoded as the mesh encodes them; these helpers make the ones an encoder never writes itself:
 * a float where an integer is expected, a uint64, a repeated key, a map key of another type.
 */
import { Encoder } from "@msgpack/msgpack";

const encoder = new Encoder({ ignoreUndefined: true });

/** A value encoded as the mesh's codec encodes it (map encoding with field names). */
export function enc(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Pre-encoded bytes, placed as they are inside `map()`. */
export class Raw {
  constructor(readonly bytes: Uint8Array) {}
}

export const raw = (...bytes: number[]): Raw => new Raw(Uint8Array.from(bytes));

/** float64 (0xcb), also for integral values such as 4.0 or -0. */
export function f64(x: number): Raw {
  const b = new Uint8Array(9);
  b[0] = 0xcb;
  new DataView(b.buffer).setFloat64(1, x);
  return new Raw(b);
}

/** uint64 (0xcf), for values beyond 2^53. */
export function u64(x: bigint): Raw {
  const b = new Uint8Array(9);
  b[0] = 0xcf;
  new DataView(b.buffer).setBigUint64(1, x);
  return new Raw(b);
}

/** An ext value of `type` with `data`. */
export function ext(type: number, data: number[]): Raw {
  const n = data.length;
  const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
  const head = fixed[n] !== undefined ? [fixed[n], type & 0xff] : [0xc7, n, type & 0xff];
  return raw(...head, ...data);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mapHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x80 | n);
  return Uint8Array.of(0xde, n >> 8, n & 0xff);
}

/** Key of a map entry: a string, or pre-encoded bytes (a key of another type). */
export type MapKey = string | Raw;

/**
 * A map written entry by entry, in order, repeated keys included. Values are encoded with
 * `enc()` unless they are `Raw`.
 */
export function map(entries: readonly (readonly [MapKey, unknown])[]): Raw {
  const parts: Uint8Array[] = [mapHeader(entries.length)];
  for (const [k, v] of entries) {
    parts.push(k instanceof Raw ? k.bytes : enc(k));
    parts.push(v instanceof Raw ? v.bytes : enc(v));
  }
  return new Raw(concat(...parts));
}

/** `base` as a map with some fields replaced (Raw or plain values) or, with `undefined`, dropped. */
export function mapWith(base: Record<string, unknown>, changes: Record<string, unknown>): Raw {
  const entries: [MapKey, unknown][] = [];
  for (const [k, v] of Object.entries(base)) {
    if (!(k in changes)) entries.push([k, v]);
    else if (changes[k] !== undefined) entries.push([k, changes[k]]);
  }
  for (const [k, v] of Object.entries(changes)) {
    if (!(k in base) && v !== undefined) entries.push([k, v]);
  }
  return map(entries);
}
