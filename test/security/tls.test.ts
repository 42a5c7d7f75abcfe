/**
 * `auth init --tls`: the generated CA, server and client certificates on a real nats-server
 * that requires TLS and client certificates (verify: true) beside the nkeys; and the table's
 * parameters (no empty allow list, reply limits from subjects/).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nkeyAuthenticator } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { seedFile } from "../../src/cli/auth/manifest.js";
import { GRANTS, permissionsFor, ROLE_TABLE, ROLES } from "../../src/cli/auth/permissions.js";
import { caPaths, tlsPaths } from "../../src/cli/auth/tls.js";
import { MAX_RESULTS_PER_REPLY, MAX_TASK_TIMEOUT_MS } from "../../subjects/index.js";
import { IDS } from "./support.js";
import { useSecuredMesh } from "./fixture.js";

const mesh = useSecuredMesh(["--tls", "--tls-hosts", "localhost,127.0.0.1"]);

const seedOf = (who: (typeof IDS)[keyof typeof IDS]) =>
  nkeyAuthenticator(
    new TextEncoder().encode(readFileSync(seedFile(mesh.authDir, who), "utf8").trim()),
  );

describe("security - TLS from auth init --tls", () => {
  it("security - seeds and private keys are written 0600", () => {
    for (const f of [
      seedFile(mesh.authDir, IDS.collectorA),
      caPaths(mesh.authDir).caKey,
      join(mesh.authDir, "tls", "server-key.pem"),
      tlsPaths(mesh.authDir, "collector-procmond-a").key,
    ]) {
      expect((statSync(f).mode & 0o777).toString(8), f).toBe("600");
    }
  });

  it("security - a client with the CA, its certificate and its nkey connects over TLS", async () => {
    const t = tlsPaths(mesh.authDir, "operator-ops");
    const nc = await connect({
      servers: mesh.ns.url,
      authenticator: seedOf(IDS.operator),
      inboxPrefix: "_INBOX_operator_ops",
      tls: { caFile: caPaths(mesh.authDir).ca, certFile: t.cert, keyFile: t.key },
      reconnect: false,
    });
    expect(nc.info?.tls_required).toBe(true);
    await nc.flush();
    await nc.close();
  });

  it("security - without a client certificate, or without TLS, the server refuses", async () => {
    await expect(
      connect({
        servers: mesh.ns.url,
        authenticator: seedOf(IDS.operator),
        tls: { caFile: caPaths(mesh.authDir).ca },
        reconnect: false,
        timeout: 3000,
      }),
    ).rejects.toThrow();
    await expect(
      connect({
        servers: mesh.ns.url,
        authenticator: seedOf(IDS.operator),
        reconnect: false,
        timeout: 3000,
      }),
    ).rejects.toThrow();
  });

  it("security - the CLI takes --tls-ca/--tls-cert/--tls-key and NATS_TLS_*", async () => {
    const { cli } = await import("../cli/cli.js");
    const t = tlsPaths(mesh.authDir, "operator-ops");
    const flags = await cli([
      "status",
      "--json",
      "--nats-url",
      mesh.ns.url,
      "--nkey",
      seedFile(mesh.authDir, IDS.operator),
      "--tls-ca",
      caPaths(mesh.authDir).ca,
      "--tls-cert",
      t.cert,
      "--tls-key",
      t.key,
    ]);
    expect(flags.stderr).toBe("");
    expect(flags.code).toBe(0);
    const env = await cli(["status", "--json", "--nats-url", mesh.ns.url], {
      env: {
        ...process.env,
        NATS_NKEY: seedFile(mesh.authDir, IDS.operator),
        NATS_TLS_CA: caPaths(mesh.authDir).ca,
        NATS_TLS_CERT: t.cert,
        NATS_TLS_KEY: t.key,
      },
    });
    expect(env.stderr).toBe("");
    expect(env.code).toBe(0);
    const noCert = await cli(["status", "--nats-url", mesh.ns.url, "--tls-cert", t.cert]);
    expect(noCert.code).not.toBe(0);
    expect(noCert.stderr).toMatch(/--tls-cert and --tls-key go together/);
  });
});

describe("security - the table's parameters", () => {
  it("security - every role has grants and no empty allow list", () => {
    for (const role of ROLES) {
      const p = permissionsFor({ role, name: "x", prefix: "p", domains: ["process"] });
      expect(p.publish.allow.length, role).toBeGreaterThan(0);
      expect(p.subscribe.allow.length, role).toBeGreaterThan(0);
      for (const g of ROLE_TABLE[role].grants) expect(Object.keys(GRANTS)).toContain(g);
    }
  });

  it("security - a collector may answer up to MAX_RESULTS_PER_REPLY times within the longest deadline", () => {
    const p = permissionsFor({ role: "collector", name: "c", prefix: "p", domains: [] });
    expect(p.allow_responses?.max).toBe(MAX_RESULTS_PER_REPLY);
    const ms = Number(/^(\d+)ms$/.exec(p.allow_responses?.expires ?? "")?.[1]);
    expect(ms).toBeGreaterThan(MAX_TASK_TIMEOUT_MS);
    expect(permissionsFor({ role: "publisher", name: "p", prefix: "p" }).allow_responses).toBe(
      undefined,
    );
  });
});
