import os from "node:os";
import path from "node:path";
import { InvalidArgumentError } from "../errors.js";
import { MAX_MESSAGE_BYTES } from "../../subjects/schemas.js";
import type { CollectorLogger, ReferenceCollectorOptions } from "./types.js";

/** Mount point of the proc filesystem. */
export const DEFAULT_PROC_ROOT = "/proc";
/** Largest file hashed by default: 256 MiB (a large executable fits, a disk image does not). */
export const DEFAULT_MAX_HASH_BYTES = 256 * 1024 * 1024;
/**
 * A result is truncated (and says so) before its list would exceed this many bytes, so that it
 * fits in one message (MAX_MESSAGE_BYTES) with the Result envelope around it.
 */
export const DEFAULT_MAX_RESULT_BYTES = Math.floor(MAX_MESSAGE_BYTES * 0.75);

/**
 * fsmond's default roots: the system temp dir and `/var/log`. `/etc`, home directories and `/`
 * are deliberately absent: a collector must not become a file server for secrets. Give `roots`
 * to widen or narrow this.
 */
export function defaultFsRoots(): string[] {
  return [os.tmpdir(), "/var/log"];
}

export interface ParsedCollectorOptions {
  readonly procRoot: string;
  readonly roots: readonly string[];
  readonly maxHashBytes: number;
  readonly maxResultBytes: number;
  readonly logger: CollectorLogger | undefined;
}

export function defaultCollectorOptions(): ParsedCollectorOptions {
  return {
    procRoot: DEFAULT_PROC_ROOT,
    roots: defaultFsRoots(),
    maxHashBytes: DEFAULT_MAX_HASH_BYTES,
    maxResultBytes: DEFAULT_MAX_RESULT_BYTES,
    logger: undefined,
  };
}

/** Merges the caller's options over the defaults and validates them once. */
export function parseCollectorOptions(
  opts: ReferenceCollectorOptions = {},
): ParsedCollectorOptions {
  const d = defaultCollectorOptions();
  const procRoot = opts.procRoot ?? d.procRoot;
  if (typeof procRoot !== "string" || !path.isAbsolute(procRoot)) {
    throw new InvalidArgumentError("procRoot", "must be an absolute path");
  }
  const given: unknown = opts.roots ?? d.roots;
  if (!Array.isArray(given) || given.length === 0) {
    throw new InvalidArgumentError("roots", "must list at least one directory");
  }
  const roots: string[] = [];
  for (const r of given as unknown[]) {
    if (typeof r !== "string" || !path.isAbsolute(r) || r.includes("\0")) {
      throw new InvalidArgumentError("roots", `must be absolute paths, got ${JSON.stringify(r)}`);
    }
    roots.push(path.resolve(r));
  }
  const maxHashBytes = opts.maxHashBytes ?? d.maxHashBytes;
  if (!Number.isSafeInteger(maxHashBytes) || maxHashBytes < 0) {
    throw new InvalidArgumentError("maxHashBytes", "must be a non-negative integer");
  }
  const maxResultBytes = opts.maxResultBytes ?? d.maxResultBytes;
  if (!Number.isSafeInteger(maxResultBytes) || maxResultBytes < 1024) {
    throw new InvalidArgumentError("maxResultBytes", "must be an integer of at least 1024");
  }
  return {
    procRoot: path.resolve(procRoot),
    roots,
    maxHashBytes,
    maxResultBytes,
    logger: opts.logger ?? d.logger,
  };
}
