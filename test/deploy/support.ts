/**
 * Helpers for the deployment tests: where the files are, the compose file as typed data, and
 * copies of deploy/ whose JetStream stores point into a temporary directory.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { z } from "zod";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DEPLOY = join(ROOT, "deploy");
export const COMPOSE_FILE = join(ROOT, "docker-compose.yml");
export const CLUSTER_COMPOSE_FILE = join(DEPLOY, "cluster", "docker-compose.yml");
export const DOCKERFILE = "deploy/Dockerfile";

/** The part of the compose specification these files use. */
const Build = z.union([
  z.string(),
  z.object({ context: z.string(), dockerfile: z.string().optional() }),
]);
export const ComposeService = z.object({
  image: z.string().optional(),
  build: Build.optional(),
  hostname: z.string().optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string() }))])
    .optional(),
  profiles: z.array(z.string()).optional(),
  restart: z.string().optional(),
  healthcheck: z
    .object({ test: z.array(z.string()) })
    .loose()
    .optional(),
});
export type ComposeService = z.infer<typeof ComposeService>;
export const ComposeFile = z.object({
  name: z.string().optional(),
  services: z.record(z.string(), ComposeService),
  volumes: z.record(z.string(), z.null().or(z.object({}).loose())).optional(),
});
export type ComposeFile = z.infer<typeof ComposeFile>;

/** Parses a compose file (YAML merge keys resolved, `x-` extensions dropped); throws on errors. */
export function loadCompose(file: string): ComposeFile {
  const doc = parseDocument(readFileSync(file, "utf8"), { merge: true, prettyErrors: true });
  if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join("\n"));
  const data = doc.toJS() as Record<string, unknown>;
  for (const k of Object.keys(data)) if (k.startsWith("x-")) delete data[k];
  return ComposeFile.parse(data);
}

/** A published port "8080:80" or "80" as { host, container }. */
export function parsePort(spec: string): { host: number | undefined; container: number } {
  const parts = spec.split("/")[0]!.split(":");
  const container = Number(parts[parts.length - 1]);
  const host = parts.length > 1 ? Number(parts[parts.length - 2]) : undefined;
  return { host, container };
}

/** A volume "src:target[:mode]" as { source, target, bind } (bind: source is a path). */
export function parseVolume(spec: string): { source: string; target: string; bind: boolean } {
  const [source = "", target = ""] = spec.split(":");
  return { source, target, bind: source.startsWith(".") || source.startsWith("/") };
}

export function dependsOn(s: ComposeService): string[] {
  const d = s.depends_on;
  if (!d) return [];
  return Array.isArray(d) ? d : Object.keys(d);
}

/** Services built from deploy/Dockerfile: the ones that run the collector-mesh command. */
export function meshServices(c: ComposeFile): [string, ComposeService][] {
  return Object.entries(c.services).filter(
    ([, s]) => typeof s.build === "object" && s.build.dockerfile === DOCKERFILE,
  );
}

/** Value of `--flag` in a command, or undefined. */
export function flag(command: readonly string[] | undefined, name: string): string | undefined {
  const i = command?.indexOf(name) ?? -1;
  return i >= 0 ? command?.[i + 1] : undefined;
}

/** Every nats-server config under deploy/, relative to it. */
export function deployConfigs(dir = DEPLOY): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".conf")) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Reads one top-level setting of a nats-server config (the first `key: value` line). */
export function confValue(text: string, key: string): string | undefined {
  const m = new RegExp(`^\\s*${key}\\s*[:=]\\s*"?([^"\\s#]+)"?`, "m").exec(text);
  return m?.[1];
}

const STORE_DIR = /store_dir\s*[:=]\s*"?([^"\s}]+)"?/g;

/**
 * A copy of deploy/ in a temporary directory, every `store_dir` pointing below it, so a config
 * can be checked or run without write access anywhere else; with `secrets`, deploy/secrets/ is
 * generated in it by scripts/mesh-secrets.sh (never the developer's own). `dispose()` removes it.
 */
export function copyDeploy(opts: { secrets?: boolean } = {}): { dir: string; dispose(): void } {
  const base = mkdtempSync(join(tmpdir(), "collector-mesh-deploy-"));
  const dir = join(base, "deploy");
  cpSync(DEPLOY, dir, {
    recursive: true,
    filter: (src) => !src.startsWith(join(DEPLOY, "secrets")),
  });
  if (opts.secrets) generateSecrets(join(dir, "secrets"));
  for (const rel of deployConfigs(dir)) {
    const file = join(dir, rel);
    const store = join(base, "store", rel.replace(/[/\\]/g, "_").replace(/\.conf$/, ""));
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace(STORE_DIR, `store_dir: ${JSON.stringify(store)}`));
  }
  return { dir, dispose: () => rmSync(base, { recursive: true, force: true }) };
}

/** The script that generates deploy/secrets/ (ignored by git) for the compose files. */
export const SECRETS_SCRIPT = join(ROOT, "scripts", "mesh-secrets.sh");
/** Where compose expects the generated secrets, relative to the repository. */
export const SECRETS_DIR = "./deploy/secrets";

/** Runs scripts/mesh-secrets.sh into `dir`; throws with its output when it fails. */
export function generateSecrets(dir: string): void {
  const r = spawnSync("bash", [SECRETS_SCRIPT, dir], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`mesh-secrets.sh failed: ${r.stdout}${r.stderr}`);
}

/** Same directory as `file`, for resolving paths a compose file or config names. */
export function near(file: string, p: string): string {
  return join(dirname(file), p);
}
