import { InvalidArgumentError } from "./errors.js";

/** `o` without its undefined properties, so spreading it over defaults keeps the defaults. */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}

/** Throws InvalidArgumentError naming the first key of `o` that is not one of `known`. */
export function rejectUnknownKeys(component: string, o: object, known: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) {
      throw new InvalidArgumentError(
        k,
        `is not a ${component} option (known: ${[...known].sort().join(", ")})`,
      );
    }
  }
}

/** Throws InvalidArgumentError unless `v` is an integer ≥ 1; returns it. */
export function positiveInt(property: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) {
    throw new InvalidArgumentError(property, `must be a positive integer, got ${String(v)}`);
  }
  return v as number;
}

/** The keys of `T` whose values are numbers (never undefined). */
export type NumberKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T] & string;

/**
 * `partial` over `defaults` (an undefined value keeps the default), once keys the defaults do not
 * have are refused; each key in `positive` must then hold an integer ≥ 1. `"numbers"` names every
 * key whose default is a number: a component whose numbers are all counts, bytes or whole ms.
 */
export function mergeOptions<T extends object>(
  component: string,
  defaults: T,
  partial: Partial<T>,
  positive: readonly NumberKeys<T>[] | "numbers" = [],
): T {
  rejectUnknownKeys(component, partial, Object.keys(defaults));
  const o: T = { ...defaults, ...stripUndefined(partial) };
  positiveInts(o, positive === "numbers" ? numberKeys(defaults) : positive);
  return o;
}

function numberKeys<T extends object>(o: T): NumberKeys<T>[] {
  return (Object.keys(o) as (keyof T & string)[]).filter(
    (k): k is NumberKeys<T> => typeof o[k] === "number",
  );
}

/** Throws InvalidArgumentError naming the first of `keys` whose value in `o` is not an integer ≥ 1. */
export function positiveInts<T extends object>(o: T, keys: readonly NumberKeys<T>[]): void {
  for (const k of keys) positiveInt(k, o[k]);
}
