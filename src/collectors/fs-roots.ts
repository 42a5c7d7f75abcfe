import { constants } from "node:fs";
import { access, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { PathNotAllowedError } from "./errors.js";

/** The real (symlink-free) form of each root; a root that does not exist stays as given. */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of roots) out.push(await realpath(r).catch(() => path.resolve(r)));
  return [...new Set(out)];
}

/** `p` is `root` or below it. Both must be absolute and normalized. */
export function isWithin(p: string, root: string): boolean {
  if (p === root) return true;
  return p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

export interface AllowedPath {
  /** The path with every symlink and `..` resolved. */
  readonly realPath: string;
  /** False when (part of) the path does not exist; `realPath` then resolves what does. */
  readonly exists: boolean;
}

/**
 * Resolves `requested` (absolute) the way the kernel would, symlinks and `..` included, and
 * refuses it with PathNotAllowedError unless the result lies within one of `roots` (already
 * real). A path that does not exist is resolved as far as it does, then the rest is appended,
 * so `/tmp/link-to-etc/missing` is refused like `/etc/missing`.
 */
export async function resolveAllowed(
  requested: string,
  roots: readonly string[],
): Promise<AllowedPath> {
  let realPath: string;
  let exists = true;
  try {
    realPath = await realpath(requested);
  } catch {
    exists = false;
    realPath = await resolveExistingPrefix(requested);
  }
  if (!roots.some((r) => isWithin(realPath, r))) throw new PathNotAllowedError(requested, roots);
  return { realPath, exists };
}

/**
 * Resolves the longest leading part of `requested` that exists (physically, `..` after a symlink
 * included) and appends the rest, normalized: `/tmp/missing/../../etc/x` becomes `/etc/x`.
 */
async function resolveExistingPrefix(requested: string): Promise<string> {
  const parts = requested.split(path.sep).filter((c) => c !== "");
  for (let i = parts.length - 1; i >= 0; i--) {
    try {
      const real = await realpath(path.sep + parts.slice(0, i).join(path.sep));
      return path.join(real, ...parts.slice(i));
    } catch {
      // not there either: one component up
    }
  }
  return path.resolve(requested);
}

/** Why a configured root cannot serve: not absolute, absent, not a directory, or unreadable. */
export type RootProblem = "relative" | "missing" | "not-a-directory" | "unreadable";

/**
 * Checks fsmond's roots before it starts: each must be an absolute path to a directory that
 * exists and can be listed. Returns the problems found, in the order of `roots` (none: all good).
 * A root that does not exist yet would refuse every path below it until it appears, and a
 * relative one would depend on the working directory of whoever started the collector.
 */
export async function checkRoots(
  roots: readonly string[],
): Promise<{ root: string; problem: RootProblem; detail?: string }[]> {
  const out: { root: string; problem: RootProblem; detail?: string }[] = [];
  for (const root of roots) {
    if (!path.isAbsolute(root)) {
      out.push({ root, problem: "relative" });
      continue;
    }
    try {
      const st = await stat(root);
      if (!st.isDirectory()) {
        out.push({ root, problem: "not-a-directory" });
        continue;
      }
      await access(root, constants.R_OK | constants.X_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") out.push({ root, problem: "missing" });
      else out.push({ root, problem: "unreadable", detail: code ?? String(err) });
    }
  }
  return out;
}
