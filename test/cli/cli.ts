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
  /** Written to its stdin, which is then closed (otherwise stdin is /dev/null). */
  input?: string | Buffer;
  /** The command to run instead of the CLI from source (e.g. the installed `collector-mesh`). */
  command?: string;
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
    const [command, argv] = opts.command
      ? [opts.command, [...args]]
      : [process.execPath, ["--import", "tsx", MAIN, ...args]];
    this.proc = spawn(command, argv, {
      cwd: ROOT,
      env: opts.env ?? cliEnv(),
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      detached: opts.detached ?? false,
    });
    if (opts.input !== undefined) {
      this.proc.stdin?.on("error", () => undefined);
      this.proc.stdin?.end(opts.input);
    }
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

/**
 * Runs `collector-mesh <args>` on a pseudo-terminal (util-linux `script`), as a user at a terminal
 * would: stdin, stdout and stderr are the terminal, so `stdout` is what the terminal showed (both
 * streams, lines ending in \r\n). The exit code is the command's.
 */
export function cliOnTerminal(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const quote = (w: string) => `'${w.replace(/'/g, "'\\''")}'`;
  const line = [process.execPath, "--import", "tsx", MAIN, ...args].map(quote).join(" ");
  return cli(["-qfec", line, "/dev/null"], { ...opts, command: "script" });
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
