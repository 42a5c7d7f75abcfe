/**
 * A secured mesh end to end: a real Collector and a real Coordinator run under their generated
 * identities, a publisher's submit through the api completes, an operator reads status and
 * stats, the CLI connects with --nkey alone (the inbox prefix follows from the file name), and an
 * identity removed with `auth remove` plus a server reload is cut off.
 */
import { describe, expect, it } from "vitest";
import { createInbox, errors as natsErrors, nkeyAuthenticator } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { readFileSync } from "node:fs";
import { decode, encode } from "../../src/codec.js";
import { TaskDistributor, TaskPublisher } from "../../src/distributor/index.js";
import { seedFile } from "../../src/cli/auth/manifest.js";
import {
  AggregatedResult,
  DEFAULT_PREFIX,
  Result,
  SourceCaps,
  StatsReply,
  StatusReply,
  SubmitRequest,
  Subjects,
} from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { IDS, cli } from "./support.js";
import { securedCollector, securedCoordinator, useSecuredMesh } from "./fixture.js";

const s = new Subjects(DEFAULT_PREFIX);
const mesh = useSecuredMesh();

describe("security - a secured mesh runs end to end", () => {
  it("security - collector, coordinator, publisher and operator work under their own identities", async () => {
    const { login: coord, coordinator } = await securedCoordinator(mesh);

    const { login: col } = await securedCollector(mesh, {
      handler: (payload) => {
        const n = (payload as { stream?: number } | undefined)?.stream;
        if (n === undefined) return { echo: payload };
        return (async function* () {
          for (let i = 0; i < n; i++) {
            await Promise.resolve();
            yield { part: i };
          }
        })();
      },
    });
    await until(
      () => coordinator.router.get(IDS.collectorA.name)?.health === "healthy",
      5000,
      "the coordinator sees the collector's advert",
    );

    // The coordinated path: a publisher submits through the api.
    const pub = await mesh.login(IDS.publisher);
    const reply = await pub.nc.request(
      s.api("submit"),
      encode(SubmitRequest, {
        requiredCapabilities: SourceCaps.PROCESS,
        payload: { hello: 1 },
        timeoutMs: 5000,
      }),
      { timeout: 8000 },
    );
    // The reply came to the publisher's own inbox prefix.
    expect(reply.subject.startsWith("_INBOX_publisher_app.")).toBe(true);
    const agg = decode(AggregatedResult, reply.data);
    expect(agg.status).toBe("complete");
    expect(agg.results.map((r) => [r.collectorId, r.payload])).toEqual([
      [IDS.collectorA.name, { echo: { hello: 1 } }],
    ]);

    // The plain path: a publisher with --plain-path process streams three results to its inbox.
    const plain = await mesh.login(IDS.plainPublisher);
    const inbox = createInbox("_INBOX_publisher_plain");
    const got: Result[] = [];
    plain.nc.subscribe(inbox, {
      callback: (e, m) => {
        if (!e) got.push(decode(Result, m.data));
      },
    });
    await plain.nc.flush();
    const task = new TaskDistributor().createTask({
      requiredCapabilities: SourceCaps.PROCESS,
      payload: { stream: 3 },
    });
    new TaskPublisher(plain.nc).distributeTask(task, { reply: inbox });
    await until(() => got.some((r) => r.final), 5000, "the final streamed result");
    expect(got.map((r) => [r.seq, r.final, r.payload])).toEqual([
      [0, false, { part: 0 }],
      [1, false, { part: 1 }],
      [2, true, { part: 2 }],
    ]);

    // An operator reads status and stats (no role could before this table).
    const ops = await mesh.login(IDS.operator);
    const status = decode(StatusReply, (await ops.nc.request(s.api("status"))).data);
    expect(status.collectors.map((c) => c.advert.id)).toEqual([IDS.collectorA.name]);
    const stats = decode(StatsReply, (await ops.nc.request(s.api("stats"))).data);
    expect(stats.coordinatorId).toBe(IDS.coordinator.name);

    for (const l of [coord, col, pub, plain, ops]) {
      await l.nc.flush();
      expect(
        l.violations.map((v) => v.message),
        String(l.who === "root" ? "root" : l.who.name),
      ).toEqual([]);
    }
  });

  it("security - the CLI connects with --nkey alone and takes the inbox prefix from the file name", async () => {
    const { cli: runCli } = await import("../cli/cli.js");
    const ops = seedFile(mesh.authDir, IDS.operator);
    const status = await runCli(["status", "--json", "--nats-url", mesh.ns.url, "--nkey", ops]);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { id: string }[]).map((r) => r.id)).toEqual([
      IDS.collectorA.name,
    ]);
    // NATS_NKEY works too; a publisher submits and gets its result.
    const submit = await runCli(
      ["submit", "--caps", "PROCESS", "--json", "--nats-url", mesh.ns.url, '{"x":1}'],
      { env: { ...process.env, NATS_NKEY: seedFile(mesh.authDir, IDS.publisher) } },
    );
    expect(submit.stderr).toBe("");
    expect(submit.code).toBe(0);
    expect((JSON.parse(submit.stdout) as { status: string }).status).toBe("complete");
    // A publisher may not read the advert bucket: status is refused, in one line.
    const denied = await runCli([
      "status",
      "--nats-url",
      mesh.ns.url,
      "--nkey",
      seedFile(mesh.authDir, IDS.publisher),
    ]);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr.trim().split("\n")).toHaveLength(1);
    expect(denied.stderr).toMatch(/permission/i);
  });
});

describe("security - the CLI's collector takes its id from its identity", () => {
  it("security - collector --nkey collector-<id>.nk runs as <id> without --id", async () => {
    const { CliProcess, cli: runCli, cliEnv } = await import("../cli/cli.js");
    const p = new CliProcess(
      ["collector", "--type", "netmond", "--nats-url", mesh.ns.url, "--heartbeat", "250ms"],
      {
        env: cliEnv({
          NATS_NKEY: seedFile(mesh.authDir, IDS.collectorB),
          OTEL_SDK_DISABLED: "true",
        }),
      },
    );
    mesh.cleanup(() => p.stop());
    const ops = seedFile(mesh.authDir, IDS.operator);
    await until(
      async () => {
        const r = await runCli(["status", "--json", "--nats-url", mesh.ns.url, "--nkey", ops]);
        return (
          r.code === 0 &&
          (JSON.parse(r.stdout) as { id: string }[]).some((c) => c.id === IDS.collectorB.name)
        );
      },
      20_000,
      "the collector advertised under its identity's name",
    );
    const r = await p.stop();
    expect(r.code, r.stderr).toBe(0);
  });
});

describe("security - removing an identity cuts it off", () => {
  it("security - after auth remove and a reload, the removed collector is disconnected and cannot log in again", async () => {
    const b = await mesh.login(IDS.collectorB, {
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    const other = await mesh.login(IDS.publisher2);
    const seed = readFileSync(seedFile(mesh.authDir, IDS.collectorB), "utf8").trim();
    const statuses: string[] = [];
    void (async () => {
      for await (const st of b.nc.status()) statuses.push(st.type);
    })();
    await cli("auth", "remove", IDS.collectorB.name, "--dir", mesh.authDir);
    expect(() => readFileSync(seedFile(mesh.authDir, IDS.collectorB))).toThrow();
    mesh.reload();
    // The server closes its connection; its reconnects are refused until the client gives up.
    await until(() => statuses.includes("disconnect"), 10_000, "the removed identity disconnected");
    const closed = await until(
      async () => (b.nc.isClosed() ? b.nc.closed() : undefined),
      20_000,
      "closed",
    );
    expect(closed).toBeInstanceOf(Error);
    expect(String(closed)).toMatch(/authorization/i);
    await expect(
      connect({
        servers: mesh.ns.url,
        authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
        reconnect: false,
      }),
    ).rejects.toBeInstanceOf(natsErrors.AuthorizationError);
    // Everyone else is still connected.
    expect(other.nc.isClosed()).toBe(false);
    await other.nc.flush();
  });
});
