import type { z } from "zod";
import { ErrorCode, InvalidArgumentError, MeshError } from "../errors.js";

/** The collector needs something this host does not have (a Linux /proc). Not retryable. */
export class UnsupportedPlatformError extends MeshError {
  readonly collector: string;
  constructor(collector: string, message: string) {
    super(ErrorCode.UnsupportedPlatform, message);
    this.name = "UnsupportedPlatformError";
    this.collector = collector;
  }
}

/** fsmond was asked for a path that does not resolve inside its roots. */
export class PathNotAllowedError extends MeshError {
  /** The path as requested. */
  readonly path: string;
  readonly roots: readonly string[];
  constructor(requested: string, roots: readonly string[]) {
    super(
      ErrorCode.PathNotAllowed,
      `path ${JSON.stringify(requested)} is outside the allowed roots (${roots.join(", ")})`,
    );
    this.name = "PathNotAllowedError";
    this.path = requested;
    this.roots = roots;
  }
}

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
