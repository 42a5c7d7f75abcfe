import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { CliError } from "../errors.js";
import { EXIT_WITH_PARENT_ENV } from "../lifecycle.js";

/** A process of this same command (`collector-mesh <args>`), its output in a log file. */
export interface DemoChild {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly logFile: string;
  /** Set once it has exited: the exit code, or the signal's name. */
  exit: string | undefined;
  /** Killed on purpose (the failover part of the demo, or the shutdown). */
  expectedExit: boolean;
}

/**
 * How to run this same command again, from source (`node --import tsx src/cli/main.ts`) as well
 * as built (`node dist/src/cli/main.js`): the same node, its flags and the same script.
 */
export function selfCommand(): { command: string; args: string[] } {
  const script = process.argv[1];
  if (!script)
    throw new CliError("cannot tell which script is running to start the demo's processes");
  return { command: process.execPath, args: [...process.execArgv, script] };
}

/** The demo's child processes. */
export class DemoChildren {
  readonly #logDir: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #children = new Map<string, DemoChild>();
  #onExit: ((c: DemoChild) => void) | undefined;

  /** `env`: added to every child's environment (credentials stay out of their argv). */
  constructor(logDir: string, env: NodeJS.ProcessEnv = {}) {
    this.#logDir = logDir;
    this.#env = env;
  }

  /** Called when a child exits that was not stopped on purpose. */
  onUnexpectedExit(fn: (c: DemoChild) => void): void {
    this.#onExit = fn;
  }

  get(name: string): DemoChild | undefined {
    return this.#children.get(name);
  }

  all(): DemoChild[] {
    return [...this.#children.values()];
  }

  /** Starts `collector-mesh <args>`; stdin is a pipe whose end makes the child exit. */
  start(name: string, args: readonly string[]): DemoChild {
    const self = selfCommand();
    const logFile = path.join(this.#logDir, `${name}.log`);
    const fd = openSync(logFile, "a");
    let proc: ChildProcess;
    try {
      proc = spawn(self.command, [...self.args, ...args], {
        stdio: ["pipe", fd, fd],
        env: { ...process.env, ...this.#env, LOG_LEVEL: "warn", [EXIT_WITH_PARENT_ENV]: "1" },
      });
    } finally {
      closeSync(fd);
    }
    const child: DemoChild = { name, proc, logFile, exit: undefined, expectedExit: false };
    proc.stdin?.on("error", () => undefined);
    proc.once("error", (err) => {
      child.exit = err.message;
      if (!child.expectedExit) this.#onExit?.(child);
    });
    proc.once("exit", (code, signal) => {
      child.exit = signal ?? String(code);
      if (!child.expectedExit) this.#onExit?.(child);
    });
    this.#children.set(name, child);
    return child;
  }

  /** Sends `signal` to a running child (SIGKILL for the failover part of the demo). */
  kill(name: string, signal: NodeJS.Signals): void {
    const c = this.#children.get(name);
    if (!c || c.exit !== undefined) return;
    c.expectedExit = true;
    c.proc.kill(signal);
  }

  /** SIGTERM to every running child, SIGKILL to those still running after `graceMs`. */
  async stopAll(graceMs: number): Promise<void> {
    const running = this.all().filter((c) => c.exit === undefined);
    await Promise.all(running.map((c) => stopChild(c, graceMs)));
  }

  /** SIGKILL every running child at once (a second Ctrl-C). */
  killAll(): void {
    for (const c of this.all()) {
      if (c.exit !== undefined) continue;
      c.expectedExit = true;
      c.proc.kill("SIGKILL");
    }
  }

  /** The last `n` lines of a child's log. */
  logTail(name: string, n = 8): string[] {
    const c = this.#children.get(name);
    if (!c) return [];
    try {
      return readFileSync(c.logFile, "utf8").trimEnd().split("\n").slice(-n);
    } catch {
      return [];
    }
  }
}

async function stopChild(c: DemoChild, graceMs: number): Promise<void> {
  c.expectedExit = true;
  if (c.exit !== undefined) return;
  const exited = new Promise<void>((r) => c.proc.once("exit", () => r()));
  c.proc.kill("SIGTERM");
  const timer = setTimeout(() => c.proc.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
