import { z } from "zod";
import { InvalidArgumentError } from "./errors.js";

/**
 * Which collectors a submit or a hunt targets, by their advert's labels (and `id`, `type`):
 *
 *   selector := term ("," term)*
 *   term     := key op value
 *   op       := "=" | "!=" | "~" | "!~"        (~ is a glob: * any run, ? one character)
 *   key      := [A-Za-z0-9_.-]+                  (a label name, or id / type / version)
 *   value    := any characters but "," ; spaces around terms are ignored
 *
 * Every term must hold: `zone=eu,role!=db`, `host~web-*`. A label the collector does not have
 * equals nothing (so `role!=db` holds for a collector without `role`).
 */

/** Longest selector accepted. */
export const MAX_SELECTOR_LENGTH = 1024;
/** Most terms in one selector. */
export const MAX_SELECTOR_TERMS = 32;

export type SelectorOp = "=" | "!=" | "~" | "!~";

export interface SelectorTerm {
  readonly key: string;
  readonly op: SelectorOp;
  readonly value: string;
}

/** A selector that does not parse: `position` is the 0-based index of the mistake. */
export class SelectorError extends InvalidArgumentError {
  readonly position: number;
  constructor(selector: string, position: number, reason: string) {
    super("selector", `${reason} at position ${position + 1}: ${JSON.stringify(selector)}`);
    this.name = "SelectorError";
    this.position = position;
  }
}

const KEY = /^[A-Za-z0-9_.-]+$/;

/** Parses a selector; SelectorError names the position of the first mistake. */
export function parseSelector(selector: string): SelectorTerm[] {
  if (selector.length > MAX_SELECTOR_LENGTH) {
    throw new SelectorError(selector, MAX_SELECTOR_LENGTH, `longer than ${MAX_SELECTOR_LENGTH}`);
  }
  const terms: SelectorTerm[] = [];
  let start = 0;
  for (const part of selector.split(",")) {
    const at = start + (part.length - part.trimStart().length);
    start += part.length + 1;
    const text = part.trim();
    if (text === "") throw new SelectorError(selector, at, "an empty term");
    const m = /^([^=!~]*)(!=|!~|=|~)(.*)$/.exec(text);
    if (m === null) throw new SelectorError(selector, at, "a term without =, !=, ~ or !~");
    const [, rawKey = "", op = "=", rawValue = ""] = m;
    const key = rawKey.trim();
    if (!KEY.test(key))
      throw new SelectorError(selector, at, `the label name ${JSON.stringify(key)}`);
    const value = rawValue.trim();
    if (/[=!~]/.test(value.slice(0, 1))) {
      throw new SelectorError(selector, at + rawKey.length + op.length, "a second operator");
    }
    terms.push({ key, op: op as SelectorOp, value });
    if (terms.length > MAX_SELECTOR_TERMS) {
      throw new SelectorError(selector, at, `more than ${MAX_SELECTOR_TERMS} terms`);
    }
  }
  return terms;
}

function globRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** What a selector is matched against: a collector's labels plus its id, type and version. */
export interface SelectorSubject {
  readonly id: string;
  readonly type: string;
  readonly version: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A parsed selector, compiled once: `matches` costs a few comparisons per term. */
export class Selector {
  readonly text: string;
  readonly terms: readonly SelectorTerm[];
  readonly #tests: ((s: SelectorSubject) => boolean)[];

  constructor(text: string) {
    this.text = text;
    this.terms = parseSelector(text);
    this.#tests = this.terms.map((t) => {
      const read = (s: SelectorSubject): string | undefined =>
        t.key === "id"
          ? s.id
          : t.key === "type"
            ? s.type
            : t.key === "version"
              ? s.version
              : s.labels[t.key];
      if (t.op === "=" || t.op === "!=") {
        const want = t.op === "=";
        return (s) => (read(s) === t.value) === want;
      }
      const re = globRegExp(t.value);
      const want = t.op === "~";
      return (s) => {
        const v = read(s);
        return (v !== undefined && re.test(v)) === want;
      };
    });
  }

  matches(s: SelectorSubject): boolean {
    for (const test of this.#tests) if (!test(s)) return false;
    return true;
  }
}

/** A selector on the wire: a string that parses (the mistake's position in the message). */
export const SelectorSchema = z
  .string()
  .min(1)
  .max(MAX_SELECTOR_LENGTH)
  .superRefine((v, ctx) => {
    try {
      parseSelector(v);
    } catch (err) {
      ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
    }
  })
  // The grammar has no JSON Schema form: say it, and its bounds, for asyncapi.yaml.
  .meta({
    description:
      'A label selector: terms `key op value` joined by ","; op is = != ~ !~ (~ a glob: * any run, ? one character); key [A-Za-z0-9_.-]+ (a label, or id / type / version); spaces around terms ignored; every term must hold. At most x-maxTerms terms, and maxLength counted in UTF-16 code units as well as in characters.',
    "x-maxTerms": MAX_SELECTOR_TERMS,
  });
