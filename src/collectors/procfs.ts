/**
 * Parsers of /proc files (proc(5)). Pure functions of the file text, tested with fixed samples.
 * Each returns undefined for text it cannot make sense of, never throws.
 */

/**
 * Clock ticks per second of the times in /proc/<pid>/stat. The kernel reports them in USER_HZ,
 * which is 100 on every Linux architecture (`getconf CLK_TCK`).
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Command lines are cut to this many characters in total (arguments included). */
export const MAX_CMDLINE_CHARS = 4096;

export interface ProcStat {
  readonly pid: number;
  /** The kernel's name of the process (`comm`), at most 15 characters. */
  readonly comm: string;
  /** One-letter state: R, S, D, Z, T, t, X, I, … */
  readonly state: string;
  readonly ppid: number;
  /** Start time in clock ticks since boot. */
  readonly startTicks: number;
}

/**
 * `/proc/<pid>/stat`. The name sits between the first `(` and the LAST `)`: it may itself contain
 * spaces and parentheses. Fields after it are numbered from 3 (state) as in proc(5).
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 1 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  const state = rest[0];
  const ppid = Number(rest[1]);
  const startTicks = Number(rest[19]);
  if (!Number.isInteger(pid) || pid < 0 || !state || !Number.isInteger(ppid)) return undefined;
  if (!Number.isFinite(startTicks)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid, startTicks };
}

export interface ProcStatus {
  /** Thread group id: equals the pid for a process, differs for one of its threads. */
  readonly tgid: number | undefined;
  /** Real user id. */
  readonly uid: number;
  /** Effective user id (differs from uid for a setuid program). */
  readonly euid: number;
  /** Resident set size in bytes; 0 for kernel threads, which have no `VmRSS`. */
  readonly rssBytes: number;
  readonly threads: number | undefined;
}

/** `/proc/<pid>/status`: `Tgid:`, `Uid:` (real, effective, saved, fs), `VmRSS:` (kB), `Threads:`. */
export function parseProcStatus(text: string): ProcStatus | undefined {
  let uid: number | undefined;
  let euid: number | undefined;
  let rssBytes = 0;
  let threads: number | undefined;
  let tgid: number | undefined;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (key === "Uid") {
      const ids = value.split(/\s+/).map(Number);
      uid = ids[0];
      euid = ids[1];
    } else if (key === "VmRSS") {
      const kb = Number(value.split(/\s+/)[0]);
      if (Number.isFinite(kb)) rssBytes = kb * 1024;
    } else if (key === "Tgid") {
      const n = Number(value);
      if (Number.isInteger(n)) tgid = n;
    } else if (key === "Threads") {
      const n = Number(value);
      if (Number.isInteger(n)) threads = n;
    }
  }
  if (!Number.isInteger(uid) || !Number.isInteger(euid)) return undefined;
  return { tgid, uid: uid as number, euid: euid as number, rssBytes, threads };
}

/**
 * `/proc/<pid>/cmdline`: arguments separated (and usually ended) by NUL. Empty for kernel threads
 * and zombies. Cut to MAX_CMDLINE_CHARS characters in total; `truncated` says so.
 */
export function parseCmdline(
  buf: Uint8Array,
  maxChars = MAX_CMDLINE_CHARS,
): { args: string[]; truncated: boolean } {
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("utf8");
  const args = text.split("\0");
  if (args.length > 0 && args[args.length - 1] === "") args.pop();
  let left = maxChars;
  const out: string[] = [];
  for (const a of args) {
    if (a.length > left) {
      if (left > 0) out.push(a.slice(0, left));
      return { args: out, truncated: true };
    }
    out.push(a);
    left -= a.length;
  }
  return { args: out, truncated: false };
}

/** `btime` of `/proc/stat`: boot time in seconds since the epoch. */
export function parseBootTime(text: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Start time in ms since the epoch from boot time (s) and start ticks since boot. */
export function startTimeMs(bootTimeSec: number, startTicks: number): number {
  return Math.round(bootTimeSec * 1000 + (startTicks * 1000) / CLOCK_TICKS_PER_SECOND);
}

const STATE_NAMES: Readonly<Record<string, string>> = {
  R: "running",
  S: "sleeping",
  D: "disk-sleep",
  Z: "zombie",
  T: "stopped",
  t: "tracing-stop",
  X: "dead",
  x: "dead",
  K: "wakekill",
  W: "waking",
  P: "parked",
  I: "idle",
};

/** `S` → `sleeping`; unknown letters are returned as they are. */
export function stateName(letter: string): string {
  return STATE_NAMES[letter] ?? letter;
}
