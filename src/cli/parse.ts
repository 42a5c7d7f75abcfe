import { InvalidArgumentError } from "commander";
import { MeshError } from "../errors.js";
import {
  MAX_NAMED_COLLECTORS,
  isToken,
  parseCaps,
  parsePriority,
  parseSelector,
  type TaskPriority,
} from "../../subjects/index.js";
import { durationArgText } from "./format.js";
import { LABELS } from "./limits.js";

/**
 * Argument parsers for commander options. Each throws commander's InvalidArgumentError, which
 * commander reports as "option '--x <v>' argument 'v' is invalid. <reason>". The config file
 * (config.ts) runs its values through the same parsers.
 */

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `5s`, `2m`, `1h`, `7d` or a plain number of milliseconds, to whole milliseconds (> 0). */
export function parseDuration(value: string): number {
  const m = DURATION_RE.exec(value.trim());
  if (!m) {
    throw new InvalidArgumentError(
      "Use a duration such as 500ms, 5s, 2m, 1h, 7d or a number of ms.",
    );
  }
  const ms = Math.round(Number(m[1]) * (UNIT_MS[(m[2] ?? "ms").toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new InvalidArgumentError("The duration must be more than 0 ms.");
  }
  return ms;
}

/** A duration parser bounded to [min, max] milliseconds. */
export function durationArg(bounds: { min: number; max: number }): (value: string) => number {
  return (value) => {
    const ms = parseDuration(value);
    if (ms > bounds.max)
      throw new InvalidArgumentError(`Use at most ${durationArgText(bounds.max)}.`);
    if (ms < bounds.min)
      throw new InvalidArgumentError(`Use at least ${durationArgText(bounds.min)}.`);
    return ms;
  };
}

/** A whole number from 1 to `max`. */
export function countArg(max: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError("Use a whole number of at least 1.");
    }
    if (n > max) throw new InvalidArgumentError(`Use at most ${max.toLocaleString("en-US")}.`);
    return n;
  };
}

/** A TCP port, 0-65535 (0: any free port). */
export function parsePort(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65_535) {
    throw new InvalidArgumentError("Use a port number from 0 to 65535.");
  }
  return n;
}

/** `PROCESS`, `PROCESS|REALTIME`, `network,filesystem` or a number, to SourceCaps bits (> 0). */
export function parseCapsArg(value: string): number {
  let caps: number;
  try {
    caps = parseCaps(value);
  } catch (err) {
    // "'capabilities' has unknown flag 'X' (known: …)" → "Unknown flag 'X' (known: …)."
    const why = reason(err).replace(/^'capabilities' (has )?/, "");
    throw new InvalidArgumentError(`${why.charAt(0).toUpperCase()}${why.slice(1)}.`);
  }
  if (caps === 0) throw new InvalidArgumentError("Name at least one capability, e.g. PROCESS.");
  return caps;
}

/** `low`, `normal`, `high`, `critical` (any case) or 0-3. */
export function parsePriorityArg(value: string): TaskPriority {
  try {
    return parsePriority(/^\d$/.test(value.trim()) ? Number(value) : value);
  } catch {
    throw new InvalidArgumentError("Use one of low, normal, high, critical (or 0-3).");
  }
}

/** One subject token: no `.`, `*`, `>` or whitespace. */
export function parseId(value: string): string {
  if (!isToken(value)) {
    throw new InvalidArgumentError(
      "An id must be 1-256 characters without '.', '*', '>' or whitespace.",
    );
  }
  return value;
}

/** Repeatable `k=v`: collects into a record, as many and as long as an advert allows. */
export function collectLabel(
  value: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const i = value.indexOf("=");
  const key = i > 0 ? value.slice(0, i).trim() : "";
  if (!key) throw new InvalidArgumentError("Use key=value.");
  if (key.length > LABELS.keyLength) {
    throw new InvalidArgumentError(`A label key has at most ${LABELS.keyLength} characters.`);
  }
  const v = value.slice(i + 1);
  if (v.length > LABELS.valueLength) {
    throw new InvalidArgumentError(`A label value has at most ${LABELS.valueLength} characters.`);
  }
  const next = { ...previous, [key]: v };
  if (Object.keys(next).length > LABELS.max) {
    throw new InvalidArgumentError(`At most ${LABELS.max} labels.`);
  }
  return next;
}

/** `a,b,c` (repeatable): collects into a list, empty items dropped. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
  ];
}

function reason(err: unknown): string {
  if (err instanceof MeshError || err instanceof Error) return err.message;
  return String(err);
}

/** A label selector (`zone=eu,role!=db`); a mistake is named with its position. */
export function selectorArg(value: string): string {
  try {
    parseSelector(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
  return value;
}

/** Comma-separated collector ids, each one subject token. */
export function collectorsArg(value: string): string[] {
  const ids = value.split(",").map((s) => s.trim());
  if (ids.length > MAX_NAMED_COLLECTORS) {
    throw new InvalidArgumentError(`At most ${MAX_NAMED_COLLECTORS} collectors.`);
  }
  for (const id of ids) parseId(id);
  return ids;
}
