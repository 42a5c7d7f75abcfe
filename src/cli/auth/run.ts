import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createUser } from "@nats-io/nkeys";
import { referenceCollectors } from "../../collectors/index.js";
import { domainsOf, formatCaps, type Domain } from "../../../subjects/index.js";
import type { RunFn } from "../action.js";
import { CliError, ExitCode } from "../errors.js";
import { jsonLine, table } from "../format.js";
import {
  NAME_RE,
  NKEYS_DIR,
  SERVER_CONF_FILE,
  ensureDir,
  fileStem,
  findIdentity,
  readManifest,
  seedFile,
  writeAtomic,
  writeManifest,
  type IdentityRecord,
  type Manifest,
} from "./manifest.js";
import { inboxPrefixFor, ROLE_TABLE, type GrantName, type Role } from "./permissions.js";
import { identityPermissions, renderServerConf } from "./server-conf.js";
import { caPaths, ensureCa, issueCertificate, tlsPaths } from "./tls.js";

type CollectorTypeName = keyof typeof referenceCollectors;

const out = (s: string) => process.stdout.write(`${s}\n`);

function save(dir: string, m: Manifest): void {
  writeManifest(dir, m);
  writeAtomic(join(dir, SERVER_CONF_FILE), renderServerConf(m));
}

export async function runInit(values: Record<string, unknown>): Promise<number> {
  const dir = String(values.dir);
  if (existsSync(join(dir, "auth.json"))) {
    throw new CliError(
      `${dir} already holds an auth directory; add identities with \`collector-mesh auth add-…\``,
    );
  }
  ensureDir(dir, 0o755);
  ensureDir(join(dir, NKEYS_DIR), 0o700);
  const hosts = (typeof values.tlsHosts === "string" ? values.tlsHosts : "localhost")
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "");
  const m: Manifest = {
    version: 1,
    prefix: String(values.prefix),
    serverDir: typeof values.serverDir === "string" ? values.serverDir : resolve(dir),
    ...(values.tls === true ? { tls: { verify: values.tlsVerify !== false, hosts } } : {}),
    ...replyLimits(values),
    identities: [],
  };
  if (m.tls) {
    await ensureCa(dir);
    await issueCertificate(dir, "server", { server: hosts });
  }
  save(dir, m);
  out(`wrote ${join(dir, SERVER_CONF_FILE)} (prefix ${m.prefix}${m.tls ? ", TLS required" : ""})`);
  out(
    `add it to the server's config: include <path of ${join(dir, SERVER_CONF_FILE)} relative to that config>`,
  );
  return ExitCode.Ok;
}

/** `--max-replies`/`--reply-window`: both or neither, else the table's limits. */
function replyLimits(values: Record<string, unknown>): Pick<Manifest, "replies"> {
  const max = values.maxReplies as number | undefined;
  const window = values.replyWindow as number | undefined;
  if (max === undefined && window === undefined) return {};
  const table = ROLE_TABLE.collector.responses!;
  return { replies: { max: max ?? table.max, expiresMs: window ?? table.expiresMs } };
}

async function add(
  values: Record<string, unknown>,
  role: Role,
  name: string,
  extra: Partial<IdentityRecord> = {},
): Promise<number> {
  const dir = String(values.dir);
  if (!NAME_RE.test(name)) {
    throw new CliError(`'${name}' is not a valid name: 1-64 of A-Z, a-z, 0-9, '_' and '-'`);
  }
  const m = readManifest(dir);
  if (m.identities.some((i) => i.role === role && i.name === name)) {
    throw new CliError(`${role} ${name} exists already; remove it first to issue a new key`);
  }
  const kp = createUser();
  const rec: IdentityRecord = {
    role,
    name,
    publicKey: kp.getPublicKey(),
    domains: [],
    extraGrants: [],
    addedAt: new Date().toISOString(),
    ...extra,
  };
  ensureDir(join(dir, NKEYS_DIR), 0o700);
  const seed = seedFile(dir, rec);
  writeAtomic(seed, `${new TextDecoder().decode(kp.getSeed())}\n`, 0o600);
  kp.clear();
  m.identities.push(rec);
  if (m.tls) await issueCertificate(dir, fileStem(rec), "client");
  save(dir, m);
  out(`${role} ${name}: ${rec.publicKey}`);
  out(`  seed ${seed} (0600); connect with --nkey ${seed}`);
  out(`  inbox prefix ${inboxPrefixFor(role, name)}`);
  if (m.tls) {
    const t = tlsPaths(dir, fileStem(rec));
    out(`  TLS --tls-ca ${caPaths(dir).ca} --tls-cert ${t.cert} --tls-key ${t.key}`);
  }
  out(
    `reload the server to apply ${join(dir, SERVER_CONF_FILE)}: nats-server --signal reload=<pid>`,
  );
  return ExitCode.Ok;
}

export const runAddCollector: RunFn = (values, _c, id = "") => {
  const type = values.type as CollectorTypeName | undefined;
  let caps = values.caps as number | undefined;
  if (type !== undefined && caps !== undefined)
    throw new CliError("give --type or --caps, not both");
  if (type !== undefined) caps = referenceCollectors[type].capabilities;
  if (caps === undefined)
    throw new CliError("add-collector needs --type or --caps (its domains follow from them)");
  return add(values, "collector", id, {
    type: type ?? formatCaps(caps),
    capabilities: caps,
    domains: domainsOf(caps),
  });
};

export const runAddCoordinator: RunFn = (values, _c, id = "") => {
  return add(values, "coordinator", id);
};

export const runAddPublisher: RunFn = (values, _c, name = "") => {
  const plain = values.plainPath as Domain[] | undefined;
  const extra: GrantName[] = plain && plain.length > 0 ? ["plainPathTasks"] : [];
  return add(values, "publisher", name, { domains: plain ?? [], extraGrants: extra });
};

export const runAddOperator: RunFn = (values, _c, name = "") => {
  return add(values, "operator", name);
};

export function runRemove(values: Record<string, unknown>, _c: unknown, ref = ""): Promise<number> {
  const dir = String(values.dir);
  const m = readManifest(dir);
  const rec = findIdentity(m, ref);
  m.identities = m.identities.filter((i) => i !== rec);
  save(dir, m);
  rmSync(seedFile(dir, rec), { force: true });
  const t = tlsPaths(dir, fileStem(rec));
  rmSync(t.cert, { force: true });
  rmSync(t.key, { force: true });
  out(`removed ${rec.role} ${rec.name} (${rec.publicKey})`);
  out(`reload the server to cut it off: nats-server --signal reload=<pid>`);
  return Promise.resolve(ExitCode.Ok);
}

export function runLs(values: Record<string, unknown>): Promise<number> {
  const dir = String(values.dir);
  const m = readManifest(dir);
  const rows = m.identities.map((i) => ({
    role: i.role,
    name: i.name,
    publicKey: i.publicKey,
    inboxPrefix: inboxPrefixFor(i.role, i.name),
    seed: seedFile(dir, i),
    ...(i.type ? { type: i.type } : {}),
    domains: i.domains,
    ...(values.permissions === true ? { permissions: identityPermissions(i, m) } : {}),
  }));
  if (values.json === true) {
    out(jsonLine(rows));
    return Promise.resolve(ExitCode.Ok);
  }
  if (rows.length === 0) {
    out(
      `no identities in ${dir}; add one with \`collector-mesh auth add-collector <id> --type procmond\``,
    );
    return Promise.resolve(ExitCode.Ok);
  }
  out(
    table(
      ["ROLE", "NAME", "PUBLIC KEY", "INBOX PREFIX", "DOMAINS"],
      rows.map((r) => [r.role, r.name, r.publicKey, r.inboxPrefix, r.domains.join(",")]),
    ),
  );
  for (const r of rows) {
    if (!r.permissions) continue;
    out(`\n${r.role} ${r.name}`);
    out(`  publish:   ${r.permissions.publish.allow.join("  ")}`);
    out(`  subscribe: ${r.permissions.subscribe.allow.join("  ")}`);
    const ar = r.permissions.allow_responses;
    if (ar) out(`  responses: up to ${ar.max} per message received, within ${ar.expires}`);
  }
  return Promise.resolve(ExitCode.Ok);
}
