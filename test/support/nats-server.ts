import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  NatsServer,
  natsServerBinary,
  natsServerVersion,
  findNatsServer,
  NATS_SERVER_INSTALL_HINT,
} from "../../src/server/nats-server.js";

export { NatsServer, natsServerBinary, natsServerVersion };

/** Fails fast, with install instructions, when nats-server is missing. */
export function requireNatsServer(): void {
  if (!findNatsServer()) throw new Error(NATS_SERVER_INSTALL_HINT);
}

export interface Mesh extends AsyncDisposable {
  ns: NatsServer;
  nc: NatsConnection;
  /** A further connection to the same server, closed by dispose. */
  connect(name?: string): Promise<NatsConnection>;
  dispose(): Promise<void>;
}

/** A fresh JetStream server and a connection; dispose closes both and removes the store. */
export async function startMesh(): Promise<Mesh> {
  requireNatsServer();
  return meshOn(await NatsServer.start({ jetstream: true }));
}

/**
 * A server started elsewhere (another binary, other options) and a connection; connections keep
 * reconnecting across `ns.restart()`. Dispose closes them and stops the server.
 */
export async function meshOn(ns: NatsServer): Promise<Mesh> {
  const conns: NatsConnection[] = [];
  const open = async (name?: string) => {
    const c = await connect({
      servers: ns.url,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    conns.push(c);
    return c;
  };
  const nc = await open("test");
  const dispose = async () => {
    await Promise.allSettled(conns.map((c) => c.close()));
    await ns.stop();
  };
  return { ns, nc, connect: open, dispose, [Symbol.asyncDispose]: dispose };
}

/** True when the installed server is at least `min` (e.g. "2.10"). */
export function serverAtLeast(min: string): boolean {
  const v = natsServerVersion() ?? "0.0.0";
  const a = v.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** Polls `fn` until it returns a truthy value, or throws after `ms`. Never a fixed sleep. */
export async function until<T>(
  fn: () => T | Promise<T>,
  ms = 5000,
  what = "condition",
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Options of test/support/collector-child.ts. */
export interface ChildCollectorOptions {
  id: string;
  caps: number;
  prefix?: string;
  maxConcurrency?: number;
  /** The handler echoes after this long. */
  delayMs?: number;
  /** Only attempts below this number are slow (default: every attempt). */
  slowAttempts?: number;
  /** The handler never returns. */
  hang?: boolean;
  heartbeatMs?: number;
  ttlMs?: number;
  /** How often a running task says it is alive (the SDK's default, 1 s, unless given). */
  progressMs?: number;
  /** Print `aborted <taskId> attempt <n>: <code>` on stdout when a run's signal aborts. */
  reportAborts?: boolean;
}

/** Starts test/support/collector-child.ts in its own process; resolves once it is advertised. */
export async function spawnCollector(
  url: string,
  opts: ChildCollectorOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildProcess> {
  const script = fileURLToPath(new URL("./collector-child.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, url, JSON.stringify(opts)], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`collector ${opts.id} exited early (${code})`)));
  });
  return child;
}

/** SIGKILLs a child and waits for it to be gone. */
export async function killChild(
  child: ChildProcess,
  signal: NodeJS.Signals = "SIGKILL",
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill(signal);
  await gone;
}
