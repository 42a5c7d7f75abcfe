import type { z } from "zod";
import { InvalidArgumentError } from "../errors.js";

export { PathNotAllowedError, UnsupportedPlatformError } from "../errors.js";

/**
 * Validates a task payload. `undefined` and `null` (no payload) mean "all defaults". Throws
 * InvalidArgumentError (code INVALID_ARGUMENT) naming the first offending field and listing every
 * issue.
 */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  const parsed = schema.safeParse(payload ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const where = (p: readonly PropertyKey[]) =>
    p.length === 0 ? "payload" : `payload.${p.map(String).join(".")}`;
  const first = issues[0];
  const reason = issues
    .slice(0, 5)
    .map((i) => (i === first ? i.message : `${where(i.path)}: ${i.message}`))
    .join("; ");
  return fail(where(first?.path ?? []), reason || "is invalid");
}

function fail(property: string, reason: string): never {
  throw new InvalidArgumentError(property, reason);
}
