/**
 * The Rust collector under its own identity from `collector-mesh auth` (nkey, and the inbox
 * prefix its seed file's name stands for): with only the permissions of the collector role it
 * binds the advert bucket, advertises, serves a coordinator logged in as its own identity, and
 * drains (its advert deleted) on SIGTERM. No permission violation on the coordinator's side.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import { nkeyAuthenticator, type NatsConnection } from "@nats-io/nats-core";
import { Coordinator } from "../../src/coordinator/index.js";
import { run } from "../../src/cli/program.js";
import { DEFAULT_PREFIX, SourceCaps } from "../../subjects/index.js";
import { NatsServer, killChild, requireNatsServer, until } from "../support/nats-server.js";
import { BUILD_TIMEOUT_MS, buildRustCollector, exited, spawnRustCollector } from "./rust.js";

let bin: string;
let ns: NatsServer;
let nc: NatsConnection;
let dir: string;

async function auth(...args: string[]): Promise<void> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  try {
    expect(await run(["node", "collector-mesh", "auth", ...args, "--dir", dir])).toBe(0);
  } finally {
    process.stdout.write = write;
    process.exitCode = undefined;
  }
}

beforeAll(async () => {
  bin = buildRustCollector();
  requireNatsServer();
  dir = mkdtempSync(join(tmpdir(), "collector-mesh-rust-auth-"));
  await auth("init");
  await auth("add-coordinator", "coord-1");
  await auth("add-collector", "rs-locked", "--caps", "PERFORMANCE|SYSTEM_WIDE");
  ns = await NatsServer.start({
    jetstream: true,
    extraConfig: readFileSync(join(dir, "server.conf"), "utf8"),
  });
  const seed = readFileSync(join(dir, "nkeys", "coordinator-coord-1.nk"), "utf8").trim();
  nc = await connect({
    servers: ns.url,
    authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
    inboxPrefix: "_INBOX_coordinator_coord-1",
  });
}, BUILD_TIMEOUT_MS);
afterAll(async () => {
  await nc?.close();
  await ns?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("rust collector - under its identity from collector-mesh auth", () => {
  it("rust collector - advertises, serves a coordinator and drains within the collector role's permissions", async () => {
    const coord = new Coordinator({ nc, id: "coord-1", advertTtlMs: 1500 });
    // The coordinator creates the advert bucket; a collector may only bind it.
    await coord.start();
    const child = await spawnRustCollector(bin, ns.url, {
      id: "rs-locked",
      prefix: DEFAULT_PREFIX,
      nkey: join(dir, "nkeys", "collector-rs-locked.nk"),
    });
    try {
      await until(() => coord.router.get("rs-locked")?.health === "healthy", 5000, "advert");
      const r = await coord.submit(
        { requiredCapabilities: SourceCaps.PERFORMANCE, payload: { stream: 3, intervalMs: 1 } },
        { timeoutMs: 5000 },
      );
      expect(r.status).toBe("complete");
      expect(r.results.map((x) => [x.collectorId, x.seq, x.final])).toEqual([
        ["rs-locked", 0, false],
        ["rs-locked", 1, false],
        ["rs-locked", 2, true],
      ]);
      child.kill("SIGTERM");
      expect(await exited(child)).toBe(0);
      // Deleted by the collector itself (its TTL of 1.5 s has not run out yet).
      await until(() => coord.router.get("rs-locked") === undefined, 1000, "advert deleted");
    } finally {
      await coord.stop();
      await killChild(child);
    }
  });
});
