/**
 * The fields of an object schema as the flat reader (src/flat-decode.ts) reads them: names by
 * length with their bytes, the longest string each could hold, and the values and refusal of
 * the last read.
 */
import type { z } from "zod";

/**
 * The field names of one schema, by length, with the bytes they are written as, and the values
 * the last read found for each (undefined: absent), in the order of `names`.
 */
export interface FlatKeys {
  readonly names: readonly string[];
  readonly byLength: ReadonlyArray<ReadonlyArray<{ index: number; bytes: Uint8Array }> | undefined>;
  /** The longest string, in bytes, each field could hold (Infinity: no bound), as `names`. */
  readonly maxStrBytes: readonly number[];
  /**
   * A key the schema does not have is passed over: the schema drops such keys, and every name is
   * indexed (ASCII, 1 to 31 bytes, not `__proto__`), so a key that is none of them is one.
   */
  readonly skipsUnknown: boolean;
  readonly values: unknown[];
  /** Set by the last read when it refused a string too long for its field. */
  refusal: FlatRefusal | undefined;
}

/** A string refused unread: longer than its field could hold. */
export interface FlatRefusal {
  readonly field: string;
  readonly bytes: number;
}

/**
 * Strings up to this many bytes are read whatever their field's bound (the schema words their
 * error, as before); only longer ones are refused unread.
 */
export const STRING_FLOOR = 1024;

export function flatKeys(
  names: readonly string[],
  maxStrBytes?: readonly number[],
  dropsUnknown = true,
): FlatKeys {
  const byLength: { index: number; bytes: Uint8Array }[][] = [];
  let skipsUnknown = dropsUnknown;
  names.forEach((name, index) => {
    // ASCII only, checked before the bytes: a wider character would become its low byte.
    const codes = Array.from(name, (c) => c.charCodeAt(0));
    if (
      name.length === 0 ||
      name.length > 31 ||
      name === "__proto__" ||
      codes.some((c) => c > 0x7f)
    ) {
      skipsUnknown = false;
      return;
    }
    const bytes = Uint8Array.from(codes);
    (byLength[name.length] ??= []).push({ index, bytes });
  });
  return {
    names,
    byLength,
    skipsUnknown,
    maxStrBytes: names.map((_, i) => maxStrBytes?.[i] ?? Infinity),
    values: names.map(() => undefined),
    refusal: undefined,
  };
}

/** The values of the last read as an object (what the general path decodes the bytes to). */
export function flatObject(keys: FlatKeys): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  keys.names.forEach((name, i) => {
    if (keys.values[i] !== undefined) out[name] = keys.values[i];
  });
  return out;
}

/** The index of the field whose name is the `n` bytes at `at`, or -1. */
export function keyAt(keys: FlatKeys, b: Uint8Array, at: number, n: number): number {
  const cands = keys.byLength[n];
  if (cands === undefined) return -1;
  next: for (const c of cands) {
    for (let i = 0; i < n; i++) if (b[at + i] !== c.bytes[i]) continue next;
    return c.index;
  }
  return -1;
}

const bySchema = new WeakMap<z.ZodType, FlatKeys | null>();

/** The fields of an object schema (which accepts only maps), or undefined for any other. */
export function flatKeysOf(schema: z.ZodType): FlatKeys | undefined {
  let keys = bySchema.get(schema);
  if (keys === undefined) {
    const shape = schema.def.type === "object" ? (schema as z.ZodObject).shape : undefined;
    // z.object drops keys it does not have; strictObject, looseObject and catchall do not.
    const drops = (schema.def as { catchall?: unknown }).catchall === undefined;
    keys =
      shape === undefined
        ? null
        : flatKeys(Object.keys(shape), Object.values(shape).map(maxStringBytes), drops);
    bySchema.set(schema, keys);
  }
  return keys ?? undefined;
}

/**
 * The most UTF-8 bytes of a string the schema could accept: 4 × its maximum length + 3 (zod
 * counts code points; a code point is at most 4 bytes, invalid bytes decode to at least one
 * replacement character per 3, and a decoder may drop a leading byte-order mark), 0 where no
 * string fits, Infinity where nothing bounds the bytes (no maximum, a coercion, a check that
 * rewrites the string before its length is counted, or a type not listed).
 */
export function maxStringBytes(t: z.ZodType): number {
  const def = t.def as {
    type: string;
    innerType?: z.ZodType;
    options?: z.ZodType[];
    coerce?: boolean;
    checks?: { _zod: { def: { check: string } } }[];
  };
  if (def.coerce === true) return Infinity;
  const bound = (chars: number) => 4 * chars + 3;
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
      return def.innerType ? maxStringBytes(def.innerType) : Infinity;
    case "string": {
      const max = (t as z.ZodString).maxLength;
      const rewrites = def.checks?.some((c) => c._zod.def.check === "overwrite") ?? false;
      return max === null || rewrites ? Infinity : bound(max);
    }
    case "enum":
      return bound(Math.max(0, ...(t as z.ZodEnum).options.map((o) => String(o).length)));
    case "literal": {
      const strings = [...(t as z.ZodLiteral).values].filter((v) => typeof v === "string");
      return strings.length === 0 ? 0 : bound(Math.max(...strings.map((v) => v.length)));
    }
    case "union":
      return Math.max(0, ...(def.options ?? []).map(maxStringBytes));
    case "number":
    case "int":
    case "boolean":
    case "bigint":
    case "null":
      return 0;
    default:
      return Infinity;
  }
}
