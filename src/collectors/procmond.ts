import { readdir, readFile, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { SourceCaps } from "../../subjects/caps.js";
import { Millis } from "../../subjects/schemas.js";
import { isDenied, isGone, mapBounded, takeWithinBudget } from "./bounded.js";
import { UnsupportedPlatformError } from "./errors.js";
import { describeFsError, sha256File, type HashOutcome } from "./hash.js";
import { parseCollectorOptions, type ParsedCollectorOptions } from "./options.js";
import { procfsHandler } from "./platform.js";
import {
  parseBootTime,
  parseCmdline,
  parseProcStat,
  parseProcStatus,
  startTimeMs,
  stateName,
} from "./procfs.js";
import { CollectorType, type CollectorContext, type ReferenceCollector } from "./types.js";

/** Processes returned by default; `limit` may raise it up to MAX_PROCESS_LIMIT. */
export const DEFAULT_PROCESS_LIMIT = 10_000;
export const MAX_PROCESS_LIMIT = 100_000;
/** Largest pid Linux hands out (`pid_max` cannot exceed 2^22). */
export const MAX_PID = 4_194_304;
/** Files of this many processes are read at once. */
const READ_CONCURRENCY = 32;
/** Executables hashed at once. */
const HASH_CONCURRENCY = 4;

/**
 * procmond task payload; every field is optional, `{}` (or no payload) lists every process.
 * Filters combine with AND. `name` matches the process name (the kernel's `comm`, at most 15
 * characters) or the base name of its `argv[0]`: case-sensitive, as a substring by default or
 * whole with `nameMatch: "exact"`.
 */
export const ProcmondPayload = z.strictObject({
  pids: z.array(z.number().int().min(1).max(MAX_PID)).min(1).max(10_000).optional(),
  name: z.string().min(1).max(256).optional(),
  nameMatch: z.enum(["substring", "exact"]).default("substring"),
  /** Add the SHA-256 of each returned process's executable (read through /proc/<pid>/exe). */
  hashExecutable: z.boolean().default(false),
  limit: z.number().int().min(1).max(MAX_PROCESS_LIMIT).default(DEFAULT_PROCESS_LIMIT),
});
export type ProcmondPayload = z.output<typeof ProcmondPayload>;
export type ProcmondPayloadInput = z.input<typeof ProcmondPayload>;

export const ProcessInfo = z.object({
  pid: z.number().int().min(1),
  ppid: z.number().int().min(0),
  /** The kernel's `comm`: at most 15 characters. */
  name: z.string(),
  /** Arguments (argv); empty for kernel threads and zombies. */
  cmdline: z.array(z.string()),
  /** Present (true) when `cmdline` was cut to 4096 characters. */
  cmdlineTruncated: z.literal(true).optional(),
  /** One-letter state as in ps(1): R, S, D, Z, T, I, … */
  state: z.string(),
  /** `running`, `sleeping`, `disk-sleep`, `zombie`, `stopped`, `idle`, … */
  stateName: z.string(),
  startTimeMs: Millis,
  rssBytes: z.number().int().min(0),
  /** Real user id. */
  uid: z.number().int().min(0),
  /** Effective user id. */
  euid: z.number().int().min(0),
  threads: z.number().int().min(0).optional(),
  /** Path of the executable, when readable (not for kernel threads, nor other users' processes unless root). */
  exe: z.string().optional(),
  /** SHA-256 (hex) of the executable, with `hashExecutable`. */
  sha256: z.string().optional(),
  /** Why `sha256` is absent although `hashExecutable` was asked for (e.g. `permission denied`). */
  sha256Error: z.string().optional(),
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;

export const ProcmondResult = z.object({
  /** Boot time of the host, ms since the epoch. */
  bootTimeMs: Millis,
  /** Processes matching the filters, by pid, at most `limit`. */
  processes: z.array(ProcessInfo),
  /** How many processes matched the filters (may exceed `processes.length`). */
  matched: z.number().int().min(0),
  /** True when `processes` was cut by `limit` or by the result size budget. */
  truncated: z.boolean(),
  collectedAt: Millis,
});
export type ProcmondResult = z.infer<typeof ProcmondResult>;

/** Lists processes with `opts.procRoot` as the proc filesystem. */
async function listProcesses(
  payload: ProcmondPayload,
  ctx: CollectorContext,
  opts: ParsedCollectorOptions,
): Promise<ProcmondResult> {
  const { procRoot } = opts;
  const bootTimeSec = await readBootTime(procRoot);

  const pids = payload.pids
    ? [...new Set(payload.pids)].sort((a, b) => a - b)
    : await allPids(procRoot);
  const found = await mapBounded(pids, READ_CONCURRENCY, ctx.signal, (pid) =>
    readProcess(procRoot, pid, bootTimeSec, opts),
  );
  const matching = payload.name ? found.filter((p) => nameMatches(p, payload)) : found;

  let selected = matching.slice(0, payload.limit);
  if (payload.hashExecutable) {
    const cache = new Map<string, Promise<HashOutcome>>();
    selected = await mapBounded(selected, HASH_CONCURRENCY, ctx.signal, (p) =>
      hashExecutable(procRoot, p, cache, opts.maxHashBytes, ctx.signal),
    );
  }
  const processes = takeWithinBudget(selected, payload.limit, opts.maxResultBytes).map(
    ({ argv0: _argv0, ...info }) => info,
  );
  opts.logger?.debug(
    { collector: CollectorType.Procmond, matched: matching.length, returned: processes.length },
    "listed processes",
  );
  return {
    bootTimeMs: bootTimeSec * 1000,
    processes,
    matched: matching.length,
    truncated: processes.length < matching.length,
    collectedAt: Date.now(),
  };
}

async function readBootTime(procRoot: string): Promise<number> {
  const file = path.join(procRoot, "stat");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UnsupportedPlatformError(
      CollectorType.Procmond,
      `procmond cannot read ${file}: ${describeFsError(err)}`,
    );
  }
  const btime = parseBootTime(text);
  if (btime === undefined) {
    throw new UnsupportedPlatformError(
      CollectorType.Procmond,
      `procmond found no btime in ${file}`,
    );
  }
  return btime;
}

async function allPids(procRoot: string): Promise<number[]> {
  const names = await readdir(procRoot);
  const pids: number[] = [];
  for (const n of names) if (/^[1-9]\d*$/.test(n)) pids.push(Number(n));
  return pids.sort((a, b) => a - b);
}

/** A process as read, with `argv0` kept for name matching (not part of the result). */
type ProcessRead = ProcessInfo & { argv0: string };

async function readProcess(
  procRoot: string,
  pid: number,
  bootTimeSec: number,
  opts: ParsedCollectorOptions,
): Promise<ProcessRead | undefined> {
  const dir = path.join(procRoot, String(pid));
  let statText: string, statusText: string, cmdBuf: Buffer;
  try {
    [statText, statusText, cmdBuf] = await Promise.all([
      readFile(path.join(dir, "stat"), "utf8"),
      readFile(path.join(dir, "status"), "utf8"),
      readFile(path.join(dir, "cmdline")),
    ]);
  } catch (err) {
    // Gone between the listing and the read, or hidden from us: not part of the answer.
    if (!isGone(err) && !isDenied(err)) {
      opts.logger?.debug({ pid, err: describeFsError(err) }, "process unreadable, skipped");
    }
    return undefined;
  }
  const st = parseProcStat(statText);
  const status = parseProcStatus(statusText);
  if (!st || !status) return undefined;
  // /proc/<tid> of a thread is reachable by number though not listed: report processes only.
  if (status.tgid !== undefined && status.tgid !== pid) return undefined;
  const exe = await readlink(path.join(dir, "exe")).catch(() => undefined);
  const cmd = parseCmdline(cmdBuf);
  const info: ProcessRead = {
    pid,
    ppid: st.ppid,
    name: st.comm,
    cmdline: cmd.args,
    state: st.state,
    stateName: stateName(st.state),
    startTimeMs: startTimeMs(bootTimeSec, st.startTicks),
    rssBytes: status.rssBytes,
    uid: status.uid,
    euid: status.euid,
    argv0: path.basename(cmd.args[0] ?? ""),
  };
  if (cmd.truncated) info.cmdlineTruncated = true;
  if (status.threads !== undefined) info.threads = status.threads;
  if (exe !== undefined) info.exe = exe;
  return info;
}

function nameMatches(p: ProcessRead, payload: ProcmondPayload): boolean {
  const want = payload.name ?? "";
  if (payload.nameMatch === "exact") return p.name === want || p.argv0 === want;
  return p.name.includes(want) || p.argv0.includes(want);
}

/**
 * Adds `sha256` (or `sha256Error`) to a process. Processes running the same file (same device,
 * inode, size and mtime) share one hash within a task.
 */
async function hashExecutable(
  procRoot: string,
  p: ProcessRead,
  cache: Map<string, Promise<HashOutcome>>,
  maxBytes: number,
  signal: AbortSignal,
): Promise<ProcessRead> {
  const exePath = path.join(procRoot, String(p.pid), "exe");
  let outcome: HashOutcome;
  try {
    const st = await stat(exePath);
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    let pending = cache.get(key);
    if (!pending) {
      pending = sha256File(exePath, { maxBytes, signal });
      cache.set(key, pending);
    }
    outcome = await pending;
  } catch (err) {
    signal.throwIfAborted();
    outcome = {
      error: isGone(err) ? "no executable (kernel thread or exited)" : describeFsError(err),
    };
  }
  return "sha256" in outcome
    ? { ...p, sha256: outcome.sha256 }
    : { ...p, sha256Error: outcome.error };
}

export const procmond: ReferenceCollector<ProcmondPayload, ProcmondResult> = {
  type: CollectorType.Procmond,
  capabilities: SourceCaps.PROCESS | SourceCaps.REALTIME,
  defaultMaxConcurrency: 4,
  description:
    "lists processes from /proc: pid, ppid, name, command line, state, memory, uid, executable hash",
  payloadSchema: ProcmondPayload,
  resultSchema: ProcmondResult,
  createHandler(options) {
    return procfsHandler(
      CollectorType.Procmond,
      ProcmondPayload,
      parseCollectorOptions(options),
      listProcesses,
    );
  },
};
