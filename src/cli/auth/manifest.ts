import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DomainSchema } from "../../../subjects/index.js";
import { CliError, oneLine } from "../errors.js";
import { GRANTS, ROLES, type GrantName, type Role } from "./permissions.js";

/**
 * The auth directory: `auth.json` (identities and their public keys, no secrets), `server.conf`
 * written from it, `nkeys/<role>-<name>.nk` (one seed per identity, 0600) and, with --tls,
 * `tls/` (CA, server and client certificates).
 */

export const MANIFEST_FILE = "auth.json";
export const SERVER_CONF_FILE = "server.conf";
export const NKEYS_DIR = "nkeys";
export const TLS_DIR = "tls";

/** Names are subject tokens and file names: letters, digits, '_' and '-'. */
export const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

const grantNames = Object.keys(GRANTS) as [GrantName, ...GrantName[]];

export const IdentityRecord = z.object({
  role: z.enum(ROLES),
  name: z.string().regex(NAME_RE),
  publicKey: z.string().regex(/^U[A-Z2-7]{55}$/),
  /** Collectors: the reference type or the capabilities it was added with. */
  type: z.string().max(64).optional(),
  capabilities: z.number().int().min(0).optional(),
  domains: z.array(DomainSchema).default([]),
  extraGrants: z.array(z.enum(grantNames)).default([]),
  addedAt: z.string(),
});
export type IdentityRecord = z.infer<typeof IdentityRecord>;

export const Manifest = z.object({
  version: z.literal(1),
  prefix: z.string(),
  /** Where the server reads this directory (paths in server.conf). */
  serverDir: z.string(),
  tls: z.object({ verify: z.boolean(), hosts: z.array(z.string()) }).optional(),
  /** Collectors' reply limits, when not the table's (see SECURITY.md on nats-server 2.9). */
  replies: z
    .object({ max: z.number().int().min(1), expiresMs: z.number().int().min(1) })
    .optional(),
  identities: z.array(IdentityRecord),
});
export type Manifest = z.infer<typeof Manifest>;

export function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) {
    throw new CliError(
      `${dir} is no auth directory (no ${MANIFEST_FILE}); run \`collector-mesh auth init --dir ${dir}\` first`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${oneLine((err as Error).message)}`);
  }
  const r = Manifest.safeParse(data);
  if (!r.success) throw new CliError(`${file} is not valid: ${oneLine(r.error.message)}`);
  return r.data;
}

/** Writes a file through a temporary name, so a reader never sees half of it. */
export function writeAtomic(file: string, text: string | Uint8Array, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export function writeManifest(dir: string, m: Manifest): void {
  writeAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
}

export function ensureDir(dir: string, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
}

/** `<role>-<name>`: the seed's file name without `.nk`, and what `remove` accepts. */
export function fileStem(i: Pick<IdentityRecord, "role" | "name">): string {
  return `${i.role}-${i.name}`;
}

export function seedFile(dir: string, i: Pick<IdentityRecord, "role" | "name">): string {
  return join(dir, NKEYS_DIR, `${fileStem(i)}.nk`);
}

/** The identity a seed file's name stands for (`collector-procmond-1.nk`), if it follows the convention. */
export function identityOfFile(path: string): { role: Role; name: string } | undefined {
  const base = path.split(/[\\/]/).pop() ?? "";
  const m = /^([a-z]+)-([A-Za-z0-9_-]{1,64})\.nk$/.exec(base);
  if (!m || !(ROLES as readonly string[]).includes(m[1]!)) return undefined;
  return { role: m[1] as Role, name: m[2]! };
}

/** Finds `name` or `<role>-<name>`; a CliError when there is none or more than one. */
export function findIdentity(m: Manifest, ref: string): IdentityRecord {
  const hits = m.identities.filter((i) => i.name === ref || fileStem(i) === ref);
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) throw new CliError(`no identity ${ref} (see \`collector-mesh auth ls\`)`);
  throw new CliError(
    `${ref} names ${hits.length} identities (${hits.map(fileStem).join(", ")}); give <role>-<name>`,
  );
}
