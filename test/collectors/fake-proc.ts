import { expect, onTestFinished } from "vitest";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ErrorCode, InvalidArgumentError } from "../../src/errors.js";

/** A process of a fake /proc tree. */
export interface FakeProcess {
  pid: number;
  comm: string;
  state?: string;
  ppid?: number;
  startTicks?: number;
  uid?: number;
  euid?: number;
  rssKb?: number;
  tgid?: number;
  argv?: string[];
  /** `exe` link target; absent = no link (kernel thread). */
  exe?: string;
  /** fd number → link target (`socket:[123]`). */
  fds?: Record<number, string>;
  /** Only the directory exists (a process that exited while being read). */
  vanished?: boolean;
}

export interface FakeProcTree {
  root: string;
  remove(): Promise<void>;
}

/** `stat` line of a fake process, 52 fields as on Linux 6.x. */
export function statLine(p: FakeProcess): string {
  const after = Array.from({ length: 50 }, () => "0");
  after[0] = p.state ?? "S";
  after[1] = String(p.ppid ?? 1);
  after[19] = String(p.startTicks ?? 0); // field 22
  return `${p.pid} (${p.comm}) ${after.join(" ")}\n`;
}

/**
 * Writes a fake proc filesystem: `self/` (unless `self: false`), `stat` with `btime`, one
 * directory per process, and `net/<file>` contents. Removed when the current test finishes.
 */
export async function fakeProc(
  opts: {
    self?: boolean;
    btime?: number;
    processes?: FakeProcess[];
    net?: Partial<Record<"tcp" | "tcp6" | "udp" | "udp6", string>>;
  } = {},
): Promise<FakeProcTree> {
  const root = await mkdtemp(path.join(os.tmpdir(), "cmesh-fakeproc-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  if (opts.self !== false) await mkdir(path.join(root, "self"));
  if (opts.btime !== undefined) {
    await writeFile(path.join(root, "stat"), `cpu  1 2 3 4\nbtime ${opts.btime}\nprocesses 99\n`);
  }
  for (const p of opts.processes ?? []) {
    const dir = path.join(root, String(p.pid));
    await mkdir(dir);
    if (p.vanished) continue;
    await writeFile(path.join(dir, "stat"), statLine(p));
    const uid = p.uid ?? 0;
    const euid = p.euid ?? uid;
    const rss = p.rssKb === undefined ? "" : `VmRSS:\t${p.rssKb} kB\n`;
    await writeFile(
      path.join(dir, "status"),
      `Name:\t${p.comm}\nState:\tS (sleeping)\nTgid:\t${p.tgid ?? p.pid}\nPid:\t${p.pid}\n` +
        `Uid:\t${uid}\t${euid}\t${euid}\t${euid}\nGid:\t0\t0\t0\t0\n${rss}Threads:\t1\n`,
    );
    await writeFile(path.join(dir, "cmdline"), (p.argv ?? []).map((a) => `${a}\0`).join(""));
    if (p.exe !== undefined) await symlink(p.exe, path.join(dir, "exe"));
    if (p.fds) {
      await mkdir(path.join(dir, "fd"));
      for (const [fd, target] of Object.entries(p.fds)) {
        await symlink(target, path.join(dir, "fd", fd));
      }
    }
  }
  if (opts.net) {
    await mkdir(path.join(root, "net"));
    for (const [file, text] of Object.entries(opts.net)) {
      await writeFile(path.join(root, "net", file), text);
    }
  }
  return {
    root,
    async remove() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Runs `fn`, expecting it to reject; returns the error. */
export async function rejection(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

export const noSignal = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

/** Each case's payload is refused by `run` with INVALID_ARGUMENT naming the case's property. */
export async function expectInvalidPayloads(
  run: (payload: unknown, ctx: { signal: AbortSignal }) => Promise<unknown>,
  cases: readonly (readonly [payload: unknown, property: string])[],
): Promise<void> {
  for (const [payload, property] of cases) {
    const err = await rejection(() => run(payload, noSignal()));
    expect(err, JSON.stringify(payload)).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).code).toBe(ErrorCode.InvalidArgument);
    expect((err as InvalidArgumentError).property, JSON.stringify(payload)).toBe(property);
  }
}
