/**
 * The Rust collector under deploy/accounts.conf: logged in as the `collector` user, with only the
 * permissions that role has, it binds the advert bucket, advertises, serves a coordinator logged in
 * as `coordinator`, and drains (its advert deleted) on SIGTERM.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Coordinator } from "../../src/coordinator/index.js";
import { DEFAULT_PREFIX, SourceCaps } from "../../subjects/index.js";
import { NatsServer, killChild, requireNatsServer, until } from "../support/nats-server.js";
import { BUILD_TIMEOUT_MS, buildRustCollector, exited, spawnRustCollector } from "./rust.js";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;
const ACCOUNTS = readFileSync(join(DEPLOY, "accounts.conf"), "utf8");
const password = (user: string): string => {
  const m = new RegExp(`user:\\s*${user},\\s*password:\\s*"([^"]+)"`).exec(ACCOUNTS);
  if (!m?.[1]) throw new Error(`no password for ${user} in accounts.conf`);
  return m[1];
};

let bin: string;
let ns: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  bin = buildRustCollector();
  requireNatsServer();
  ns = await NatsServer.start({ jetstream: true, extraConfig: ACCOUNTS });
  nc = await connect({ servers: ns.url, user: "coordinator", pass: password("coordinator") });
}, BUILD_TIMEOUT_MS);
afterAll(async () => {
  await nc?.close();
  await ns?.stop();
});

describe("rust collector - as the collector user of deploy/accounts.conf", () => {
  it("rust collector - advertises, serves a coordinator and drains within the collector role's permissions", async () => {
    const url = new URL(ns.url);
    url.username = "collector";
    url.password = password("collector");
    const child = await spawnRustCollector(bin, url.toString(), {
      id: "rs-locked",
      prefix: DEFAULT_PREFIX,
    });
    const coord = new Coordinator({ nc, id: "coord-1", advertTtlMs: 1500 });
    try {
      await coord.start();
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
