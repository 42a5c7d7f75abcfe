/**
 * deploy/accounts.conf against a real nats-server: each role logs in as its user and tries what
 * it needs (no permissions violation) and what it must not do (a violation), with the subjects
 * built by the Subjects class; then a coordinator, a collector and a publisher run the
 * coordinated and plain paths through those permissions.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createInbox,
  Empty,
  errors as natsErrors,
  type Msg,
  type NatsConnection,
  type PermissionViolationError,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { decode, encode } from "../../src/codec.js";
import { Collector } from "../../src/collector/index.js";
import { Coordinator } from "../../src/coordinator/index.js";
import { TaskDistributor, TaskPublisher } from "../../src/distributor/index.js";
import {
  AggregatedResult,
  CollectorEvent,
  DEFAULT_PREFIX,
  MeshHeaders,
  Result,
  SERVICE_NAME,
  SourceCaps,
  SubmitRequest,
  Subjects,
} from "../../subjects/index.js";
import { NatsServer, requireNatsServer, until } from "../support/nats-server.js";
import { DEPLOY } from "./support.js";

const ACCOUNTS = readFileSync(join(DEPLOY, "accounts.conf"), "utf8");
const ROLES = ["coordinator", "collector", "publisher"] as const;
type Role = (typeof ROLES)[number];

/** The placeholder passwords, as written in the config. */
const PASSWORDS = Object.fromEntries(
  [...ACCOUNTS.matchAll(/\{\s*user:\s*(\w+),\s*password:\s*"([^"]+)"/g)].map((m) => [m[1], m[2]]),
) as Record<string, string>;

const s = new Subjects(DEFAULT_PREFIX);
const KV_STREAM = `KV_${s.bucket()}`;
const kvKey = (id: string) => `$KV.${s.bucket()}.${id}`;

interface Op {
  op: "pub" | "sub";
  subject: string;
  queue?: string;
}
const pub = (subject: string): Op => ({ op: "pub", subject });
const sub = (subject: string, queue?: string): Op => ({ op: "sub", subject, queue });

/** What each role needs: none of it may raise a permissions violation. */
const ALLOWED: Record<Role, Op[]> = {
  collector: [
    sub(s.collectorTask("x")),
    sub(s.taskWildcard("process"), s.queueGroup("process")),
    sub(s.taskWildcard("network"), s.queueGroup("network")),
    sub(createInbox()),
    pub(s.result("x", "y")),
    pub(s.result("coord-1", "task-1", 2)),
    pub(kvKey("procmond-1")),
    pub(`$JS.API.STREAM.INFO.${KV_STREAM}`),
  ],
  coordinator: [
    sub(s.resultInbox("coord-1")),
    sub(s.api("submit"), SERVICE_NAME),
    sub(s.api("status"), SERVICE_NAME),
    sub(s.api("stats"), SERVICE_NAME),
    sub("$SRV.PING"),
    sub(`$SRV.INFO.${SERVICE_NAME}`),
    sub(s.events()),
    sub(createInbox()),
    pub(s.collectorTask("procmond-1")),
    pub(s.task("process", "critical")),
    pub(s.collectorEvent("procmond-1")),
    pub(s.failoverEvent()),
    pub(`$JS.API.STREAM.INFO.${KV_STREAM}`),
  ],
  publisher: [
    sub(createInbox()),
    pub(s.api("submit")),
    pub(s.task("process", "high")),
    pub(s.task("network", "low")),
  ],
};

/** What each role must not do: each must raise a permissions violation. */
const DENIED: Record<Role, Op[]> = {
  collector: [
    pub(s.task("process", "normal")),
    pub(s.collectorTask("procmond-2")),
    pub(s.collectorEvent("procmond-1")),
    pub(s.failoverEvent()),
    pub(s.api("submit")),
    pub(createInbox()), // no request to answer: allow_responses does not cover it
    pub(`$JS.API.STREAM.DELETE.${KV_STREAM}`),
    pub(`$JS.API.STREAM.PURGE.${KV_STREAM}`),
    pub("$JS.API.STREAM.CREATE.OTHER"),
    sub(s.resultInbox("coord-1")),
    sub(s.api("submit"), SERVICE_NAME),
    sub(s.events()),
    sub("$SRV.PING"),
  ],
  coordinator: [
    pub(s.result("coord-1", "task-1", 0)), // results come from collectors only
    pub(kvKey("procmond-1")), // adverts come from collectors only
    pub(s.api("submit")),
    pub(`$JS.API.STREAM.DELETE.${KV_STREAM}`),
    pub(createInbox()),
    sub(s.collectorTask("procmond-1")),
    sub(s.taskWildcard("process"), s.queueGroup("process")),
  ],
  publisher: [
    sub(`${s.prefix}.collector.>`),
    sub(s.collectorTask("x")),
    sub(s.resultInbox("coord-1")),
    sub(s.taskWildcard("process"), s.queueGroup("process")),
    sub(s.events()),
    pub(s.collectorTask("procmond-1")),
    pub(s.result("coord-1", "task-1", 0)),
    pub(s.failoverEvent()),
    pub(s.api("stats")),
    pub(kvKey("procmond-1")),
    pub("$JS.API.INFO"),
  ],
};

interface Login {
  nc: NatsConnection;
  /** Permission violations the server reported on this connection. */
  violations: PermissionViolationError[];
}

let ns: NatsServer;
const opened: NatsConnection[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  requireNatsServer();
  ns = await NatsServer.start({ jetstream: true, extraConfig: ACCOUNTS });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await Promise.allSettled(opened.splice(0).map((nc) => nc.close()));
});
afterAll(async () => {
  await ns?.stop();
});

async function login(role: Role): Promise<Login> {
  const nc = await connect({ servers: ns.url, user: role, pass: PASSWORDS[role], name: role });
  opened.push(nc);
  const violations: PermissionViolationError[] = [];
  void (async () => {
    for await (const st of nc.status()) {
      if (st.type === "error" && st.error instanceof natsErrors.PermissionViolationError) {
        violations.push(st.error);
      }
    }
  })();
  return { nc, violations };
}

const opName = (o: Op) => (o.op === "pub" ? "publish" : "subscription");
const violated = (l: Login, o: Op) =>
  l.violations.some((v) => v.operation === opName(o) && v.subject === o.subject);

async function attempt(l: Login, o: Op): Promise<Error | void> {
  if (o.op === "pub") {
    l.nc.publish(o.subject, Empty);
    await l.nc.flush();
    return undefined;
  }
  const sb = l.nc.subscribe(o.subject, o.queue ? { queue: o.queue } : {});
  await l.nc.flush();
  if (violated(l, o) || sb.isClosed()) return sb.closed;
  sb.unsubscribe();
  return undefined;
}

async function checkRole(role: Role): Promise<void> {
  const l = await login(role);
  for (const o of ALLOWED[role]) await attempt(l, o);
  // A violation arrives before the PONG of the flush that follows it; one more round trip
  // lets the status iterator deliver it.
  await l.nc.flush();
  expect(l.violations.map((v) => v.message)).toEqual([]);

  for (const o of DENIED[role]) {
    const closed = attempt(l, o);
    await until(() => violated(l, o), 3000, `${role}: ${o.op} ${o.subject} refused`);
    if (o.op === "sub") expect(await closed).toBeInstanceOf(natsErrors.PermissionViolationError);
  }
  expect(l.violations).toHaveLength(DENIED[role].length);
  expect(l.nc.isClosed()).toBe(false);
}

describe("deploy - accounts.conf on a real nats-server", () => {
  it("deploy - the users are placeholders and one per role", () => {
    expect(Object.keys(PASSWORDS).sort()).toEqual([...ROLES].sort());
    for (const p of Object.values(PASSWORDS)) expect(p).toMatch(/^CHANGE-ME-/);
  });

  it("deploy - connections without a role user or with a wrong password are refused", async () => {
    await expect(connect({ servers: ns.url, reconnect: false })).rejects.toBeInstanceOf(
      natsErrors.AuthorizationError,
    );
    await expect(
      connect({ servers: ns.url, user: "collector", pass: "wrong", reconnect: false }),
    ).rejects.toBeInstanceOf(natsErrors.AuthorizationError);
  });

  it("deploy - a collector may take tasks, send results and put its advert, and nothing else", async () => {
    await checkRole("collector");
  });

  it("deploy - a coordinator may dispatch, read its result inbox, serve the api and publish events", async () => {
    await checkRole("coordinator");
  });

  it("deploy - a publisher may submit and publish plain-path tasks, and may not read the mesh", async () => {
    await checkRole("publisher");
  });

  it("deploy - a coordinator, a collector and a publisher run both paths with these permissions", async () => {
    const col = await login("collector");
    const coord = await login("coordinator");
    const pubr = await login("publisher");

    const events: CollectorEvent[] = [];
    coord.nc.subscribe(s.collectorEvents(), {
      callback: (_err, m) => {
        events.push(decode(CollectorEvent, m.data));
      },
    });

    const collector = new Collector({
      id: "procmond-1",
      type: "procmond",
      capabilities: SourceCaps.PROCESS,
      heartbeatMs: 250,
      ttlMs: 1500,
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
    await collector.start(col.nc);
    cleanups.push(() => collector.stop());

    const coordinator = new Coordinator({
      nc: coord.nc,
      id: "coord-1",
      advertTtlMs: 1500,
      durable: false,
    });
    await coordinator.start();
    cleanups.push(() => coordinator.stop());
    // The coordinator watched the advert the collector put in the bucket.
    await until(() => coordinator.router.get("procmond-1")?.health === "healthy", 5000, "routable");
    await until(() => events.some((e) => e.collectorId === "procmond-1"), 5000, "joined event");

    // Coordinated path: submit through the micro service api.
    const reply = await pubr.nc.request(
      s.api("submit"),
      encode(SubmitRequest, {
        requiredCapabilities: SourceCaps.PROCESS,
        payload: { hello: 1 },
        timeoutMs: 5000,
      }),
      { timeout: 8000 },
    );
    const agg = decode(AggregatedResult, reply.data);
    expect(agg.status).toBe("complete");
    expect(agg.results.map((r) => [r.collectorId, r.payload])).toEqual([
      ["procmond-1", { echo: { hello: 1 } }],
    ]);

    // Plain path: a task with a reply inbox; the collector streams three results back to it.
    const inbox = createInbox();
    const got: Result[] = [];
    const done = new Promise<void>((resolve) => {
      pubr.nc.subscribe(inbox, {
        callback: (_err, m: Msg) => {
          const r = decode(Result, m.data);
          got.push(r);
          if (r.final) resolve();
        },
      });
    });
    await pubr.nc.flush();
    const task = new TaskDistributor().createTask({
      requiredCapabilities: SourceCaps.PROCESS,
      payload: { stream: 3 },
    });
    expect(new TaskPublisher(pubr.nc).distributeTask(task, { reply: inbox })).toBe(
      s.task("process", "normal"),
    );
    await done;
    expect(got.map((r) => [r.seq, r.final, r.payload])).toEqual([
      [0, false, { part: 0 }],
      [1, false, { part: 1 }],
      [2, true, { part: 2 }],
    ]);

    // A coordinator's probe on an instance's direct subject gets an answer, not a timeout.
    const probe = await coord.nc.request(s.collectorTask("procmond-1"), Empty, { timeout: 2000 });
    expect(probe.data.length).toBe(0);
    expect(probe.headers?.get(MeshHeaders.ErrorCode)).toBeUndefined();

    for (const l of [col, coord, pubr]) {
      await l.nc.flush();
      expect(l.violations.map((v) => v.message)).toEqual([]);
    }
  });
});

describe("deploy - the CLI logs in as a role", () => {
  it("deploy - user and password from NATS_USER/NATS_PASSWORD or the URL are used; a wrong one is a one-line error", async () => {
    const { cli, isOneLineError } = await import("../cli/cli.js");
    const [, port] = /:(\d+)$/.exec(ns.url) ?? [];
    const viaEnv = await cli(["status", "--json", "--nats-url", ns.url], {
      env: { NATS_USER: "coordinator", NATS_PASSWORD: PASSWORDS.coordinator },
    });
    expect(viaEnv.stderr).toBe("");
    expect(viaEnv.code).toBe(0);
    expect(Array.isArray(JSON.parse(viaEnv.stdout))).toBe(true);
    const viaUrl = await cli([
      "status",
      "--json",
      "--nats-url",
      `nats://coordinator:${PASSWORDS.coordinator}@127.0.0.1:${port}`,
    ]);
    expect(viaUrl.code).toBe(0);
    const wrong = await cli(["status", "--nats-url", `nats://coordinator:nope@127.0.0.1:${port}`]);
    expect(wrong.code).not.toBe(0);
    expect(isOneLineError(wrong)).toBe(true);
    expect(wrong.stderr).toMatch(/authorization/i);
    expect(wrong.stderr).not.toContain("nope");
  });
});
