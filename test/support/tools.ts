/**
 * The NATS programs some tests need besides the server under test: both ends of the supported
 * server range (for the upgrade test) and the official `nats` CLI. `scripts/install-nats.sh`
 * installs all of them; a missing one fails the test with that hint, it is never skipped.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { natsServerVersion } from "../../src/server/nats-server.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const TOOLS = join(REPO, ".tools");
const HINT = "run `bash scripts/install-nats.sh` to install it";

/** Compares dotted versions: negative, 0 or positive. */
export function compareVersions(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface ServerBinary {
  path: string;
  version: string;
}

function server(path: string | undefined, what: string): ServerBinary {
  const version = path === undefined ? undefined : natsServerVersion(path);
  if (path === undefined || version === undefined) {
    throw new Error(`${what} nats-server not found (${path ?? "none"}): ${HINT}`);
  }
  return { path, version };
}

/** The oldest supported server: NATS_SERVER_OLD_BIN, else `nats-server` on the PATH. */
export function oldestServer(): ServerBinary {
  const s = server(process.env.NATS_SERVER_OLD_BIN ?? "nats-server", "the oldest supported");
  if (compareVersions(s.version, "2.11.0") >= 0) {
    throw new Error(`${s.path} is ${s.version}; the upgrade test needs a server before 2.11`);
  }
  return s;
}

/** The newest supported server: NATS_SERVER_NEW_BIN, else the newest under .tools/. */
export function newestServer(): ServerBinary {
  let path = process.env.NATS_SERVER_NEW_BIN;
  if (path === undefined && existsSync(TOOLS)) {
    const dirs = readdirSync(TOOLS)
      .filter((d) => /^nats-server-v\d+\.\d+\.\d+$/.test(d))
      .sort((a, b) => compareVersions(b.slice(13), a.slice(13)));
    if (dirs[0] !== undefined) path = join(TOOLS, dirs[0], "nats-server");
  }
  const s = server(path, "the newest supported");
  if (compareVersions(s.version, "2.11.0") < 0) {
    throw new Error(`${s.path} is ${s.version}; the upgrade test needs 2.11 or later`);
  }
  return s;
}

/** The `nats` CLI: NATS_CLI_BIN, else `nats` on the PATH, else .tools/bin/nats. */
export function natsCli(): string {
  const candidates = [process.env.NATS_CLI_BIN, "nats", join(TOOLS, "bin", "nats")];
  for (const c of candidates) {
    if (c === undefined) continue;
    if (spawnSync(c, ["--version"], { encoding: "utf8" }).status === 0) return c;
  }
  throw new Error(`the nats CLI was not found: ${HINT}`);
}
