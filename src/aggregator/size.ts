import type { Result } from "../../subjects/index.js";
import { signedBytesOf } from "../signing.js";

/** Bytes counted for a result's fixed fields (ids, numbers, map keys): about their encoded size. */
const RESULT_BASE_BYTES = 160;

const sizes = new WeakMap<Result, number>();

/**
 * About how many bytes a result holds, for the byte budgets (retained results, stream readers,
 * one aggregation): the size of its payload as MessagePack would write it (strings by their
 * length), its fixed fields, and the collector's signed bytes when it keeps them. A payload of
 * maps or arrays is walked once (cost in proportion to its size) and its size remembered.
 */
export function resultBytes(r: Result): number {
  const p = r.payload;
  // A payload whose size is known at once (bytes, a string, a scalar) needs no walk to remember.
  const flat = typeof p !== "object" || p === null || p instanceof Uint8Array;
  let n = flat ? undefined : sizes.get(r);
  if (n === undefined) {
    n =
      RESULT_BASE_BYTES + (flat ? scalarBytes(p) : valueBytes(p)) + (r.error?.message.length ?? 0);
    n += signedBytesOf(r)?.data.length ?? 0;
    if (!flat) sizes.set(r, n);
  }
  return n;
}

/** The encoded size of a value that is not a map or an array, about. */
function scalarBytes(v: unknown): number {
  if (typeof v === "string") return 5 + v.length;
  if (typeof v === "number" || typeof v === "bigint") return 9;
  if (v === null || v === undefined || typeof v === "boolean") return 1;
  if (v instanceof Uint8Array) return 5 + v.byteLength;
  return 9;
}

/** The encoded size of a decoded MessagePack value, about: one walk, no recursion. */
function valueBytes(root: unknown): number {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      n += 5;
      for (const x of v as unknown[]) stack.push(x);
    } else if (typeof v === "object" && v !== null && !(v instanceof Uint8Array)) {
      n += 5;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        n += 5 + k.length;
        stack.push(x);
      }
    } else n += scalarBytes(v);
  }
  return n;
}
