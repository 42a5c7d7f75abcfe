/**
 * A secured mesh for the security tests: an auth directory made with the real `collector-mesh
 * auth` commands, a real nats-server that includes its server.conf, logins by identity (nkey +
 * the inbox prefix of the convention) that record the server's permission violations, and a
 * `root` user with every right in the same account to observe what arrives.
 */
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import {
  errors as natsErrors,
  nkeyAuthenticator,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
  type PermissionViolationError,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { run } from "../../src/cli/program.js";
import { seedFile } from "../../src/cli/auth/manifest.js";
import { inboxPrefixFor, type Role } from "../../src/cli/auth/permissions.js";
import { NatsServer, natsServerBinary, requireNatsServer, until } from "../support/nats-server.js";

export interface Who {
  role: Role;
  name: string;
}

/** The identities every security test file uses. */
export const IDS = {
  collectorA: { role: "collector", name: "procmond-a" },
  collectorB: { role: "collector", name: "netmond-b" },
  coordinator: { role: "coordinator", name: "coord-1" },
  coordinator2: { role: "coordinator", name: "coord-2" },
  publisher: { role: "publisher", name: "app" },
  publisher2: { role: "publisher", name: "app2" },
  plainPublisher: { role: "publisher", name: "plain" },
  operator: { role: "operator", name: "ops" },
} as const satisfies Record<string, Who>;

/** Runs `collector-mesh <args>` in this process; throws unless it exits 0. */
export async function cli(...args: string[]): Promise<void> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  let code: number;
  try {
    code = await run(["node", "collector-mesh", ...args]);
  } finally {
    process.stdout.write = write;
    process.exitCode = undefined;
  }
  if (code !== 0) throw new Error(`collector-mesh ${args.join(" ")} exited ${code}`);
}

/** An auth directory with the identities of IDS, made with the CLI. */
export async function makeAuthDir(extraInit: string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "collector-mesh-auth-"));
  await cli("auth", "init", "--dir", dir, ...extraInit);
  await cli("auth", "add-collector", IDS.collectorA.name, "--type", "procmond", "--dir", dir);
  await cli("auth", "add-collector", IDS.collectorB.name, "--type", "netmond", "--dir", dir);
  await cli("auth", "add-coordinator", IDS.coordinator.name, "--dir", dir);
  await cli("auth", "add-coordinator", IDS.coordinator2.name, "--dir", dir);
  await cli("auth", "add-publisher", IDS.publisher.name, "--dir", dir);
  await cli("auth", "add-publisher", IDS.publisher2.name, "--dir", dir);
  await cli(
    "auth",
    "add-publisher",
    IDS.plainPublisher.name,
    "--plain-path",
    "process",
    "--dir",
    dir,
  );
  await cli("auth", "add-operator", IDS.operator.name, "--dir", dir);
  return dir;
}

export interface Login {
  who: Who | "root";
  nc: NatsConnection;
  /** Permission violations the server reported on this connection. */
  violations: PermissionViolationError[];
}

export interface SecuredMesh extends AsyncDisposable {
  ns: NatsServer;
  authDir: string;
  login(who: Who, opts?: Partial<ConnectionOptions>): Promise<Login>;
  /** A user with every right in the mesh's account. */
  root(): Promise<Login>;
  /** Re-reads server.conf: `nats-server --signal reload=<pid>`. */
  reload(): void;
  dispose(): Promise<void>;
}

/**
 * A server that includes `<authDir>/server.conf` (so a reload re-reads it) plus one `root` user
 * with a password, added for observing only.
 */
export async function startSecuredMesh(authDir: string): Promise<SecuredMesh> {
  requireNatsServer();
  const rootPass = randomBytes(12).toString("hex");
  // The root user must live in the mesh's account to see its traffic: the server reads a copy of
  // server.conf with root added to its users, rewritten from server.conf on every reload().
  const rootConf = join(authDir, "server-with-root.conf");
  const writeRootConf = () => {
    const conf = readFileSync(join(authDir, "server.conf"), "utf8");
    const withRoot = conf.replace(
      "    users: [\n",
      `    users: [\n      { user: "root", password: "${rootPass}" }\n`,
    );
    if (withRoot === conf) throw new Error("server.conf has no users list");
    writeFileSync(rootConf, withRoot);
  };
  writeRootConf();
  const parent = mkdtempSync(join(tmpdir(), "collector-mesh-secured-"));
  // The server's own config sits one directory below `parent`; includes are relative to it.
  const ns = await NatsServer.start({
    jetstream: true,
    parentDir: parent,
    extraConfig: `include ${JSON.stringify(relative(join(parent, "x"), rootConf))}`,
  });
  const opened: NatsConnection[] = [];
  const track = (who: Login["who"], nc: NatsConnection): Login => {
    opened.push(nc);
    const violations: PermissionViolationError[] = [];
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === "error" && st.error instanceof natsErrors.PermissionViolationError) {
          violations.push(st.error);
        }
      }
    })();
    return { who, nc, violations };
  };
  const mesh: SecuredMesh = {
    ns,
    authDir,
    async login(who, opts = {}) {
      const seed = readFileSync(seedFile(authDir, who), "utf8").trim();
      const nc = await connect({
        servers: ns.url,
        name: `${who.role}-${who.name}`,
        authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
        inboxPrefix: inboxPrefixFor(who.role, who.name),
        ...opts,
      });
      return track(who, nc);
    },
    reload() {
      writeRootConf();
      const r = spawnSync(natsServerBinary(), ["--signal", `reload=${ns.pid}`], {
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`reload failed: ${r.stdout}${r.stderr}`);
    },
    async root() {
      const nc = await connect({ servers: ns.url, user: "root", pass: rootPass, name: "root" });
      return track("root", nc);
    },
    async dispose() {
      await Promise.allSettled(opened.map((nc) => nc.close()));
      await ns.stop();
      rmSync(parent, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => mesh.dispose(),
  };
  return mesh;
}

/** The server reported a violation of this operation on this subject. */
export function violated(l: Login, op: "publish" | "subscription", subject: string): boolean {
  return l.violations.some((v) => v.operation === op && v.subject === subject);
}

/** Messages on `subject` seen by `l`, from now on. */
export async function watch(l: Login, subject: string): Promise<{ got: Msg[]; stop(): void }> {
  const got: Msg[] = [];
  const sub = l.nc.subscribe(subject, {
    callback: (e, m) => {
      if (!e) got.push(m);
    },
  });
  await l.nc.flush();
  return { got, stop: () => sub.unsubscribe() };
}

/**
 * Publishes as `l` and proves the outcome: `allowed` — a root subscriber receives it; denied —
 * the server reports a publish violation and the root subscriber has received nothing after a
 * marker that root published afterwards arrived.
 */
export async function tryPublish(
  mesh: SecuredMesh,
  l: Login,
  subject: string,
  data: Uint8Array = new Uint8Array([1]),
  opts: Parameters<NatsConnection["publish"]>[2] = undefined,
): Promise<"delivered" | "refused"> {
  const root = await rootLogin(mesh);
  const seen = await watch(root, subject);
  // Only these bytes count: others may publish on the subject meanwhile (a collector's heartbeat
  // on its own advert key).
  const arrived = () => seen.got.some((m) => Buffer.from(m.data).equals(Buffer.from(data)));
  l.nc.publish(subject, data, opts);
  await l.nc.flush();
  try {
    await until(() => arrived() || violated(l, "publish", subject), 3000, subject);
    if (arrived()) return "delivered";
    // Refused: and indeed nothing arrived, even after a round trip of root's own.
    await root.nc.flush();
    if (arrived()) throw new Error(`${subject}: violation reported, but delivered`);
    return "refused";
  } finally {
    seen.stop();
  }
}

/**
 * Subscribes as `l` (in `queue` when given) and proves the outcome: `received` — a message root
 * publishes on `sample` arrives; refused — the subscription is closed with a permissions error.
 */
export async function trySubscribe(
  mesh: SecuredMesh,
  l: Login,
  subject: string,
  sample: string = concrete(subject),
  queue?: string,
): Promise<"received" | "refused"> {
  const root = await rootLogin(mesh);
  const got: Msg[] = [];
  const sub = l.nc.subscribe(subject, {
    ...(queue ? { queue } : {}),
    callback: (e, m) => {
      if (!e) got.push(m);
    },
  });
  const closed = sub.closed;
  await l.nc.flush();
  try {
    await until(
      async () => {
        if (got.length > 0) return true;
        if (sub.isClosed()) return true;
        root.nc.publish(sample, new Uint8Array([2]));
        await root.nc.flush();
        return false;
      },
      3000,
      `${subject} received or refused`,
    );
    if (got.length > 0) return "received";
    const err = await closed;
    if (!(err instanceof natsErrors.PermissionViolationError)) {
      throw new Error(`${subject}: closed without a permissions error (${String(err)})`);
    }
    return "refused";
  } finally {
    if (!sub.isClosed()) sub.unsubscribe();
  }
}

const roots = new WeakMap<SecuredMesh, Promise<Login>>();
function rootLogin(mesh: SecuredMesh): Promise<Login> {
  let r = roots.get(mesh);
  if (!r) {
    r = mesh.root();
    roots.set(mesh, r);
  }
  return r;
}

/** A subject matching a permission entry: `*` → `x`, `>` → `x.y`. */
export function concrete(pattern: string): string {
  return pattern
    .split(".")
    .map((t) => (t === "*" ? "x" : t === ">" ? "x.y" : t))
    .join(".");
}
