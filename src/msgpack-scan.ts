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
}

export type ScanFailure = "depth" | "elements" | "truncated" | "malformed" | "trailing";

export type ScanResult =
  | { ok: true; elements: number; depth: number; end: number }
  | {
      ok: false;
      reason: ScanFailure;
      /** Offset of the byte where the scan stopped (the header that broke the limit). */
      offset: number;
      elements: number;
      depth: number;
      detail: string;
    };

/** Bytes after the type byte, before a str/bin/ext body: its length field (and ext type). */
const LEN_FIELD: Record<number, [lenBytes: number, extra: number]> = {
  0xc4: [1, 0],
  0xc5: [2, 0],
  0xc6: [4, 0],
  0xc7: [1, 1],
  0xc8: [2, 1],
  0xc9: [4, 1],
  0xd9: [1, 0],
  0xda: [2, 0],
  0xdb: [4, 0],
};

/** Fixed sizes after the type byte: numbers and fixext. */
const FIXED: Record<number, number> = {
  0xca: 4,
  0xcb: 8,
  0xcc: 1,
  0xcd: 2,
  0xce: 4,
  0xcf: 8,
  0xd0: 1,
  0xd1: 2,
  0xd2: 4,
  0xd3: 8,
  0xd4: 2,
  0xd5: 3,
  0xd6: 5,
  0xd7: 9,
  0xd8: 17,
};

function readUint(b: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[at + i]!;
  return v;
}

/**
 * Scans one MessagePack value that must fill `bytes` exactly. O(bytes.length) time and
 * O(maxDepth) memory, whatever the content.
 */
export function scanMessagePack(bytes: Uint8Array, limits: ScanLimits): ScanResult {
  const len = bytes.length;
  // Values still expected at each open level; level 0 holds the one top-level value.
  const pending: number[] = [1];
  let pos = 0;
  let elements = 0;
  let maxSeen = 0;
  const fail = (reason: ScanFailure, offset: number, detail: string): ScanResult => ({
    ok: false,
    reason,
    offset,
    elements,
    depth: maxSeen,
    detail,
  });
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) {
      pending.pop();
      continue;
    }
    pending[top]!--;
    if (pos >= len) return fail("truncated", pos, "the message ends inside a value");
    if (elements === limits.maxElements) {
      return fail("elements", pos, `more than ${limits.maxElements} values`);
    }
    elements++;
    const at = pos;
    const t = bytes[pos++]!;
    let children = 0;
    let container = false;
    let skip = 0;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) {
      // fixint, nil, false, true: the type byte is the value
    } else if (t <= 0x8f) {
      container = true;
      children = 2 * (t & 0x0f);
    } else if (t <= 0x9f) {
      container = true;
      children = t & 0x0f;
    } else if (t <= 0xbf) {
      skip = t & 0x1f;
    } else if (t === 0xdc || t === 0xdd || t === 0xde || t === 0xdf) {
      const n = t === 0xdc || t === 0xde ? 2 : 4;
      if (pos + n > len) return fail("truncated", at, "the message ends inside a header");
      const count = readUint(bytes, pos, n);
      pos += n;
      container = true;
      children = t >= 0xde ? 2 * count : count;
    } else if (LEN_FIELD[t] !== undefined) {
      const [n, extra] = LEN_FIELD[t];
      if (pos + n > len) return fail("truncated", at, "the message ends inside a header");
      skip = readUint(bytes, pos, n) + extra;
      pos += n;
    } else if (FIXED[t] !== undefined) {
      skip = FIXED[t];
    } else {
      return fail("malformed", at, `0x${t.toString(16)} is no MessagePack type`);
    }
    if (skip > 0) {
      if (skip > len - pos) return fail("truncated", at, "a value is longer than the message");
      pos += skip;
    }
    if (container) {
      // pending.length is this container's depth.
      if (pending.length > limits.maxDepth) {
        return fail("depth", at, `nested deeper than ${limits.maxDepth}`);
      }
      if (pending.length > maxSeen) maxSeen = pending.length;
      // Every value takes at least one byte: a count beyond what is left is a lie.
      if (children > len - pos) return fail("truncated", at, "more values than bytes left");
      if (children > 0) pending.push(children);
    }
  }
  if (pos !== len) return fail("trailing", pos, `${len - pos} bytes after the value`);
  return { ok: true, elements, depth: maxSeen, end: pos };
}
