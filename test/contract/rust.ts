/**
 * The Rust example collector (examples/rust-collector) for the contract tests: finds cargo,
 * builds the crate (cargo reuses the previous build), and runs the binary as a child process.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CRATE_DIR = fileURLToPath(new URL("../../examples/rust-collector/", import.meta.url));

/** A cold build downloads and compiles the crates: minutes on a small machine. */
export const BUILD_TIMEOUT_MS = 15 * 60_000;

/** cargo from $CARGO, the PATH, or ~/.cargo/bin; a clear error when there is none. */
export function findCargo(): string {
  const candidates = [process.env.CARGO, "cargo", join(homedir(), ".cargo", "bin", "cargo")];
  for (const c of candidates) {
    if (!c) continue;
    const r = spawnSync(c, ["--version"], { encoding: "utf8" });
    if (r.status === 0) return c;
  }
  throw new Error(
    "cargo not found (tried $CARGO, the PATH and ~/.cargo/bin): the Rust collector tests need a Rust toolchain; install one with rustup or Debian's cargo package",
  );
}

/** Builds the crate (debug) and returns the binary's path. */
export function buildRustCollector(): string {
  const cargo = findCargo();
  const manifest = join(CRATE_DIR, "Cargo.toml");
  const r = spawnSync(cargo, ["build", "--locked", "--manifest-path", manifest], {
    stdio: ["ignore", "inherit", "inherit"],
    timeout: BUILD_TIMEOUT_MS,
  });
  if (r.status !== 0) {
    throw new Error(
      `cargo build of ${manifest} failed (${r.error?.message ?? `exit ${r.status}`})`,
    );
  }
  const target = process.env.CARGO_TARGET_DIR ?? join(CRATE_DIR, "target");
  const bin = join(target, "debug", "rust-collector");
  if (!existsSync(bin)) throw new Error(`cargo build did not produce ${bin}`);
  return bin;
}

export interface RustCollectorOptions {
  id: string;
  prefix: string;
  maxConcurrency?: number;
  maxQueued?: number;
  heartbeatMs?: number;
  ttlMs?: number;
  drainGraceMs?: number;
  /** An nkey seed file to log in with (`--nkey`). */
  nkey?: string;
  /** Sign every result (`--sign`). */
  sign?: boolean;
  /** `--progress-ms`: how often a running task says it is alive. */
  progressMs?: number;
  /** `--zone`. */
  zone?: string;
  /** `--label name=value` each. */
  labels?: Record<string, string>;
  /** Environment variables besides the test's own (MESH_ZONE, ...). */
  env?: Record<string, string>;
}

/** Starts the binary; resolves once it printed "ready" (subscribed and advertised). */
export async function spawnRustCollector(
  bin: string,
  url: string,
  o: RustCollectorOptions,
): Promise<ChildProcess> {
  const args = ["--nats-url", url, "--prefix", o.prefix, "--id", o.id];
  const num = (flag: string, v: number | undefined) => {
    if (v !== undefined) args.push(flag, String(v));
  };
  num("--max-concurrency", o.maxConcurrency);
  num("--max-queued", o.maxQueued);
  num("--heartbeat-ms", o.heartbeatMs ?? 250);
  num("--ttl-ms", o.ttlMs ?? 1500);
  num("--drain-grace-ms", o.drainGraceMs);
  num("--progress-ms", o.progressMs);
  if (o.zone !== undefined) args.push("--zone", o.zone);
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push("--label", `${k}=${v}`);
  if (o.nkey !== undefined) args.push("--nkey", o.nkey);
  if (o.sign === true) args.push("--sign");
  const env = { ...process.env, ...o.env };
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "inherit"], env });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) resolve();
    });
    child.once("exit", (code) =>
      reject(new Error(`rust-collector ${o.id} exited early (${code})`)),
    );
  });
  return child;
}

/** Resolves with the exit code once the child has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once("exit", (code) => r(code)));
}
