import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Runs the real CLI from source, as a child process. */

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long; the test then fails on the result. */
  timeoutMs?: number;
  /** In a process group of its own (to signal it and its children like a terminal's Ctrl-C). */
  detached?: boolean;
}

/** The environment the CLI runs in: the test's, without settings that would change defaults. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of [
    "NATS_URL",
    "MESH_PREFIX",
    "NATS_CREDS",
    "NATS_USER",
    "NATS_PASSWORD",
    "LOG_LEVEL",
    "METRICS_PORT",
    "METRICS_HOST",
  ]) {
    delete env[k];
  }
  return { ...env, ...extra };
}

/** `collector-mesh <args>`, started; output collected on the returned handle. */
export class CliProcess {
  readonly proc: ChildProcess;
  stdout = "";
  stderr = "";
  readonly exited: Promise<CliResult>;

  constructor(args: readonly string[], opts: CliOptions = {}) {
    this.proc = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
      cwd: ROOT,
      env: opts.env ?? cliEnv(),
      stdio: ["ignore", "pipe", "pipe"],
      detached: opts.detached ?? false,
    });
    this.proc.stdout?.on("data", (d: Buffer) => (this.stdout += d.toString()));
    this.proc.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => this.proc.kill("SIGKILL"), opts.timeoutMs);
    this.exited = new Promise((resolve) => {
      this.proc.once("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 15_000): Promise<CliResult> {
    if (this.running) {
      this.proc.kill(signal);
      const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
      const r = await this.exited;
      clearTimeout(timer);
      return r;
    }
    return this.exited;
  }
}

/** Runs `collector-mesh <args>` to its end. */
export function cli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return new CliProcess(args, { timeoutMs: 60_000, ...opts }).exited;
}

/** Asserts the shape of a clean failure: one line on stderr, no stack trace. */
export function isOneLineError(r: CliResult): boolean {
  const lines = r.stderr.trimEnd().split("\n");
  return (
    r.code !== 0 &&
    r.code !== null &&
    lines.length === 1 &&
    (lines[0] ?? "").length > 0 &&
    !/^\s+at /m.test(r.stderr) &&
    !/Error:/.test(r.stderr.replace(/^collector-mesh: /, ""))
  );
}
