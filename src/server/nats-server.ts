import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MeshError, ErrorCode } from "../errors.js";

/**
 * Starts a real `nats-server` with JetStream on a free port and a temporary store: for tests, the
 * benchmark and the demo. Modelled on nats.js's `nst` launcher: port -1, a ports file polled with a
 * timeout, racing an early exit, then a TCP connect.
 */

export const NATS_SERVER_INSTALL_HINT =
  "nats-server was not found on the PATH. Install it with `apt-get install nats-server` " +
  "(Debian/Ubuntu) or `brew install nats-server` (macOS), set NATS_SERVER_BIN to its path, " +
  "or pass --nats-url to use a running server.";

/** The nats-server executable: `NATS_SERVER_BIN` when set, else `nats-server` on the PATH. */
export function natsServerBinary(): string {
  const fromEnv = process.env.NATS_SERVER_BIN;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : "nats-server";
}

export class NatsServerNotFoundError extends MeshError {
  constructor() {
    super(ErrorCode.Internal, NATS_SERVER_INSTALL_HINT);
    this.name = "NatsServerNotFoundError";
  }
}

export interface NatsServerOptions {
  /** Enable JetStream with a store in the temporary directory (default true). */
  jetstream?: boolean;
  /** Executable (default `NATS_SERVER_BIN`, else `nats-server` on the PATH). */
  binary?: string;
  /** Milliseconds to wait for the server to accept connections (default 10 s). */
  startTimeoutMs?: number;
  /** Extra configuration lines appended to the generated config. */
  extraConfig?: string;
  /** Parent directory of the temporary directory (default the OS temp dir). */
  parentDir?: string;
}

/** Finds the nats-server binary, or undefined. */
export function findNatsServer(binary = natsServerBinary()): string | undefined {
  const r = spawnSync(binary, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? binary : undefined;
}

/** The version the binary reports, e.g. "2.9.10". */
export function natsServerVersion(binary = natsServerBinary()): string | undefined {
  const r = spawnSync(binary, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? /v?(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] : undefined;
}

export class NatsServer {
  readonly dir: string;
  readonly storeDir: string;
  #port = -1;
  #monitorPort = -1;
  #proc: ChildProcess | undefined;
  #exited: Promise<number | null> | undefined;
  readonly #opts: Required<Omit<NatsServerOptions, "extraConfig" | "parentDir">> & {
    extraConfig: string;
  };
  #removed = false;

  private constructor(opts: NatsServerOptions) {
    this.#opts = {
      jetstream: opts.jetstream ?? true,
      binary: opts.binary ?? natsServerBinary(),
      startTimeoutMs: opts.startTimeoutMs ?? 10_000,
      extraConfig: opts.extraConfig ?? "",
    };
    this.dir = mkdtempSync(join(opts.parentDir ?? tmpdir(), "collector-mesh-nats-"));
    this.storeDir = join(this.dir, "jetstream");
  }

  /** Starts a server; throws NatsServerNotFoundError when the binary is missing. */
  static async start(opts: NatsServerOptions = {}): Promise<NatsServer> {
    if (!findNatsServer(opts.binary)) throw new NatsServerNotFoundError();
    const ns = new NatsServer(opts);
    try {
      await ns.#launch();
    } catch (err) {
      await ns.stop();
      throw err;
    }
    return ns;
  }

  get port(): number {
    return this.#port;
  }
  get url(): string {
    return `nats://127.0.0.1:${this.#port}`;
  }
  /** HTTP monitoring endpoint (`/varz`, `/jsz`). */
  get monitorUrl(): string {
    return `http://127.0.0.1:${this.#monitorPort}`;
  }
  get pid(): number | undefined {
    return this.#proc?.pid;
  }
  get running(): boolean {
    return (
      this.#proc !== undefined && this.#proc.exitCode === null && this.#proc.signalCode === null
    );
  }

  async #launch(): Promise<void> {
    const conf = join(this.dir, "server.conf");
    const lines = [
      `listen: "127.0.0.1:${this.#port}"`,
      `http: "127.0.0.1:${this.#monitorPort}"`,
      `ports_file_dir: ${JSON.stringify(this.dir)}`,
      `server_name: "mesh_${process.pid}_${Date.now()}"`,
    ];
    if (this.#opts.jetstream)
      lines.push(`jetstream { store_dir: ${JSON.stringify(this.storeDir)} }`);
    if (this.#opts.extraConfig) lines.push(this.#opts.extraConfig);
    writeFileSync(conf, lines.join("\n") + "\n");
    for (const f of readdirSync(this.dir)) if (f.endsWith(".ports")) rmSync(join(this.dir, f));

    const proc = spawn(this.#opts.binary, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    this.#proc = proc;
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    this.#exited = new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + this.#opts.startTimeoutMs;
    let early = false;
    void this.#exited.then(() => (early = true));
    while (Date.now() < deadline) {
      if (early) throw new Error(`nats-server exited during start-up: ${stderr.trim()}`);
      const ports = this.#readPorts(proc.pid);
      if (ports && (await canConnect(ports.port)) && (await this.#healthy(ports.monitor))) {
        this.#port = ports.port;
        this.#monitorPort = ports.monitor;
        return;
      }
      await sleep(25);
    }
    throw new Error(
      `nats-server did not accept connections within ${this.#opts.startTimeoutMs} ms`,
    );
  }

  /**
   * With JetStream, the server accepts connections a moment before JetStream answers (longer
   * after a restart, while it recovers its store): `/healthz` says when it is ready.
   */
  async #healthy(monitor: number): Promise<boolean> {
    if (!this.#opts.jetstream) return true;
    try {
      const r = await fetch(`http://127.0.0.1:${monitor}/healthz`);
      await r.body?.cancel();
      return r.ok;
    } catch {
      return false;
    }
  }

  #readPorts(pid: number | undefined): { port: number; monitor: number } | undefined {
    if (pid === undefined) return undefined;
    try {
      const data = JSON.parse(readFileSync(join(this.dir, `nats-server_${pid}.ports`), "utf8")) as {
        nats?: string[];
        monitoring?: string[];
      };
      const port = Number(new URL(data.nats?.[0] ?? "").port);
      const monitor = Number(new URL(data.monitoring?.[0] ?? "http://x:0").port);
      return port > 0 ? { port, monitor } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Server version from `/varz`. */
  async version(): Promise<string> {
    const r = await fetch(`${this.monitorUrl}/varz`);
    const body = (await r.json()) as { version: string };
    return body.version;
  }

  /** SIGKILL, without cleanup: JetStream data stays in the store. */
  async kill(): Promise<void> {
    await this.#signal("SIGKILL");
  }

  /** Graceful stop, then remove the temporary directory. */
  async stop(): Promise<void> {
    await this.#signal("SIGTERM");
    if (!this.#removed) {
      this.#removed = true;
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /**
   * Stops (or finds stopped) and starts again on the same port with the same store; `binary`
   * starts another nats-server on that store (an upgrade).
   */
  async restart(opts: { binary?: string } = {}): Promise<void> {
    await this.#signal("SIGTERM");
    if (opts.binary !== undefined) this.#opts.binary = opts.binary;
    await this.#launch();
  }

  async #signal(sig: NodeJS.Signals): Promise<void> {
    const proc = this.#proc;
    if (!proc || !this.running) return;
    proc.kill(sig);
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await this.#exited;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** True once something on 127.0.0.1 accepts a TCP connection on `port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
