import { constants, type Stats } from "node:fs";
import { lstat, open, opendir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { SourceCaps } from "../../subjects/caps.js";
import { Millis } from "../../subjects/schemas.js";
import { UnsupportedPlatformError, parsePayload } from "./errors.js";
import { realRoots, resolveAllowed } from "./fs-roots.js";
import { describeFsError, sha256File } from "./hash.js";
import { parseCollectorOptions, type ParsedCollectorOptions } from "./options.js";
import { CollectorType, type CollectorContext, type ReferenceCollector } from "./types.js";

export const DEFAULT_MAX_ENTRIES = 1000;
export const MAX_ENTRIES = 10_000;
export const DEFAULT_LIST_DEPTH = 1;
export const MAX_LIST_DEPTH = 8;
export const MAX_PATHS = 256;

const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith("/"), "must be an absolute path")
  .refine((p) => !p.includes("\0"), "must not contain NUL");

/**
 * fsmond task payload. Every path must resolve (symlinks and `..` included) inside the
 * collector's roots, or the whole task is refused with PATH_NOT_ALLOWED before anything is read.
 */
export const FsmondPayload = z.strictObject({
  paths: z.array(AbsolutePath).min(1).max(MAX_PATHS),
  /** SHA-256 of each regular file given in `paths` (not of listed entries). */
  hash: z.boolean().default(true),
  /** Files larger than this are not hashed (`hashError` says why); capped by the collector's limit. */
  maxHashBytes: z.number().int().min(0).optional(),
  /** List each directory given in `paths`. */
  list: z.boolean().default(true),
  /** Levels listed: 1 = the directory's own entries; symlinks are never followed. */
  depth: z.number().int().min(1).max(MAX_LIST_DEPTH).default(DEFAULT_LIST_DEPTH),
  /** Entries listed per directory path, breadth first. */
  maxEntries: z.number().int().min(1).max(MAX_ENTRIES).default(DEFAULT_MAX_ENTRIES),
});
export type FsmondPayload = z.output<typeof FsmondPayload>;
export type FsmondPayloadInput = z.input<typeof FsmondPayload>;

export const FileType = z.enum([
  "file",
  "directory",
  "symlink",
  "fifo",
  "socket",
  "block-device",
  "char-device",
  "other",
]);
export type FileType = z.infer<typeof FileType>;

const StatFields = {
  type: FileType,
  size: z.number().int().min(0),
  /** Permission bits with setuid, setgid and sticky (`st_mode & 0o7777`). */
  mode: z.number().int().min(0).max(0o7777),
  uid: z.number().int().min(0),
  gid: z.number().int().min(0),
  mtimeMs: z.number(),
};

export const DirEntryInfo = z.object({
  /** Real path of the entry. */
  path: z.string(),
  /** Path relative to the listed directory (`sub/file.log`). */
  name: z.string(),
  /** 1 for the directory's own entries, 2 below them, … */
  depth: z.number().int().min(1),
  ...StatFields,
});
export type DirEntryInfo = z.infer<typeof DirEntryInfo>;

/** One requested path: its stat, or `error` (e.g. `no such file`) and nothing else. */
export const PathInfo = z.object({
  /** As requested. */
  path: z.string(),
  /** With every symlink and `..` resolved. */
  realPath: z.string(),
  error: z.string().optional(),
  type: FileType.optional(),
  size: z.number().int().min(0).optional(),
  mode: z.number().int().min(0).max(0o7777).optional(),
  uid: z.number().int().min(0).optional(),
  gid: z.number().int().min(0).optional(),
  mtimeMs: z.number().optional(),
  sha256: z.string().optional(),
  /** Why `sha256` is absent although `hash` was asked for a regular file. */
  hashError: z.string().optional(),
  entries: z.array(DirEntryInfo).optional(),
  /**
   * True when entries are missing: the listing stopped at `maxEntries` or at the result size
   * budget, or a directory could not be read. Directories below `depth` are not counted.
   */
  entriesTruncated: z.boolean().optional(),
});
export type PathInfo = z.infer<typeof PathInfo>;

export const FsmondResult = z.object({
  /** The roots paths must lie in (real paths). */
  roots: z.array(z.string()),
  items: z.array(PathInfo),
  collectedAt: Millis,
});
export type FsmondResult = z.infer<typeof FsmondResult>;

/** Stats, hashes and lists paths within `opts.roots`. */
export async function inspectPaths(
  input: unknown,
  ctx: CollectorContext,
  opts: ParsedCollectorOptions,
): Promise<FsmondResult> {
  const payload = parsePayload(FsmondPayload, input);
  if (process.platform === "win32") {
    throw new UnsupportedPlatformError(CollectorType.Fsmond, "fsmond runs on POSIX systems only");
  }
  const roots = await realRoots(opts.roots);
  // Every path is checked before any is read: a refused task reads nothing.
  const resolved = [];
  for (const p of payload.paths) resolved.push({ path: p, ...(await resolveAllowed(p, roots)) });

  const maxHashBytes = Math.min(payload.maxHashBytes ?? opts.maxHashBytes, opts.maxHashBytes);
  const collectedAt = Date.now();
  const envelope = JSON.stringify({ roots, items: [], collectedAt });
  const budget = { left: opts.maxResultBytes - Buffer.byteLength(envelope) };
  const items: PathInfo[] = [];
  for (const r of resolved) {
    ctx.signal.throwIfAborted();
    const item = await inspectOne(r.path, r.realPath, payload, maxHashBytes, ctx.signal, budget);
    items.push(item);
  }
  opts.logger?.debug({ collector: CollectorType.Fsmond, paths: items.length }, "inspected paths");
  return { roots, items, collectedAt };
}

async function inspectOne(
  requested: string,
  realPath: string,
  payload: FsmondPayload,
  maxHashBytes: number,
  signal: AbortSignal,
  budget: { left: number },
): Promise<PathInfo> {
  let st: Stats;
  try {
    st = await lstat(realPath);
  } catch (err) {
    return { path: requested, realPath, error: describeFsError(err) };
  }
  const item: PathInfo = { path: requested, realPath, ...statFields(st) };
  if (payload.hash && st.isFile()) {
    const outcome = await hashRegularFile(realPath, st, maxHashBytes, signal);
    if ("sha256" in outcome) item.sha256 = outcome.sha256;
    else item.hashError = outcome.error;
  }
  budget.left -= Buffer.byteLength(JSON.stringify(item)) + 1;
  if (payload.list && st.isDirectory()) {
    budget.left -= LISTING_OVERHEAD;
    const listing = await listDirectory(realPath, payload, signal, budget);
    item.entries = listing.entries;
    item.entriesTruncated = listing.truncated;
  }
  return item;
}

/**
 * Opens without following a final symlink and without blocking on a FIFO, then checks that the
 * opened file is the one stat'ed, so a file swapped after the root check is not read.
 */
async function hashRegularFile(
  realPath: string,
  st: Stats,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ sha256: string } | { error: string }> {
  let fh;
  try {
    fh = await open(realPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return { error: describeFsError(err) };
  }
  try {
    const now = await fh.stat();
    if (now.dev !== st.dev || now.ino !== st.ino) return { error: "changed while being read" };
    return await sha256File(fh, { maxBytes, signal });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

const LISTING_OVERHEAD = Buffer.byteLength(',"entries":[],"entriesTruncated":false');

/**
 * Breadth-first listing, each directory's entries sorted by name, at most `maxEntries` in all
 * and `depth` levels. Reads at most `maxEntries + 1` names of any directory, so a huge directory
 * costs no more than a small one. Symlinks are listed, never followed.
 */
async function listDirectory(
  dir: string,
  payload: FsmondPayload,
  signal: AbortSignal,
  budget: { left: number },
): Promise<{ entries: DirEntryInfo[]; truncated: boolean }> {
  const entries: DirEntryInfo[] = [];
  let truncated = false;
  let level: { abs: string; rel: string }[] = [{ abs: dir, rel: "" }];
  for (let depth = 1; level.length > 0; depth++) {
    const next: { abs: string; rel: string }[] = [];
    for (const d of level) {
      signal.throwIfAborted();
      const room = payload.maxEntries - entries.length;
      if (room <= 0) return { entries, truncated: true };
      const names = await readNames(d.abs, room + 1);
      if (names === undefined || names.length > room) truncated = true;
      for (const name of (names ?? []).slice(0, room)) {
        const abs = path.join(d.abs, name);
        const rel = d.rel === "" ? name : `${d.rel}/${name}`;
        let st: Stats;
        try {
          st = await lstat(abs);
        } catch {
          continue; // removed meanwhile
        }
        const entry: DirEntryInfo = { path: abs, name: rel, depth, ...statFields(st) };
        budget.left -= Buffer.byteLength(JSON.stringify(entry)) + 1;
        if (budget.left < 0) return { entries, truncated: true };
        entries.push(entry);
        if (st.isDirectory() && depth < payload.depth) next.push({ abs, rel });
      }
    }
    level = next;
  }
  return { entries, truncated };
}

/** Up to `max` names of a directory, sorted; undefined when it cannot be read. */
async function readNames(dir: string, max: number): Promise<string[] | undefined> {
  let handle;
  try {
    handle = await opendir(dir);
  } catch {
    return undefined;
  }
  const names: string[] = [];
  try {
    for await (const e of handle) {
      names.push(e.name);
      if (names.length >= max) break;
    }
  } catch {
    return names.sort();
  }
  return names.sort();
}

function statFields(st: Stats) {
  return {
    type: fileType(st),
    size: st.size,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtimeMs: st.mtimeMs,
  };
}

function fileType(st: Stats): FileType {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "directory";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "fifo";
  if (st.isSocket()) return "socket";
  if (st.isBlockDevice()) return "block-device";
  if (st.isCharacterDevice()) return "char-device";
  return "other";
}

export const fsmond: ReferenceCollector<FsmondPayload, FsmondResult> = {
  type: CollectorType.Fsmond,
  capabilities: SourceCaps.FILESYSTEM,
  defaultMaxConcurrency: 4,
  description: "stats, hashes (SHA-256) and lists paths inside its configured roots",
  payloadSchema: FsmondPayload,
  resultSchema: FsmondResult,
  createHandler(options) {
    const opts = parseCollectorOptions(options);
    return (payload, ctx) => inspectPaths(payload, ctx, opts);
  },
};
