import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { referenceCollectors } from "../../src/collectors/index.js";
import { DEFAULT_PREFIX, Subjects } from "../../subjects/index.js";
import {
  CLUSTER_COMPOSE_FILE,
  COMPOSE_FILE,
  DEPLOY,
  DOCKERFILE,
  ROOT,
  SECRETS_DIR,
  confValue,
  copyDeploy,
  dependsOn,
  flag,
  loadCompose,
  meshServices,
  near,
  parsePort,
  parseVolume,
  type ComposeFile,
} from "./support.js";

/** Every environment variable the collector-mesh command reads; compose may set only these. */
export const CLI_ENV = [
  "NATS_URL",
  "MESH_PREFIX",
  "MESH_ZONE",
  "NATS_CREDS",
  "NATS_NKEY",
  "NATS_INBOX_PREFIX",
  "NATS_TLS_CA",
  "NATS_TLS_CERT",
  "NATS_TLS_KEY",
  "MESH_AUTH_DIR",
  "NATS_USER",
  "NATS_PASSWORD",
  "LOG_LEVEL",
  "METRICS_PORT",
  "METRICS_HOST",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
  "OTEL_SERVICE_NAME",
  "OTEL_SDK_DISABLED",
  "COLLECTOR_MESH_DEBUG",
] as const;

/** Read by node itself, not by the command: the coordinator's heap ceiling. */
const NODE_ENV = ["NODE_OPTIONS"] as const;

/** The CLI's subcommands, loaded when a test needs them (src/cli/ is its own area). */
async function cliProgram() {
  const { buildProgram } = await import("../../src/cli/program.js");
  return buildProgram();
}

/**
 * Where the command reads them: src/cli/ (options with `.env(...)`) and the OpenTelemetry SDK
 * wiring it calls (src/cli/tracing-sdk.ts reads `env.OTEL_*`).
 */
const CLI_SOURCE_DIRS = ["src/cli", "src/telemetry"];

const compose = loadCompose(COMPOSE_FILE);
const composeFiles: [string, ComposeFile][] = [
  [COMPOSE_FILE, compose],
  [CLUSTER_COMPOSE_FILE, loadCompose(CLUSTER_COMPOSE_FILE)],
];
const service = (name: string) => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f));
}

/** Environment names read in code: `.env("X")`, `env.X`, `env["X"]`. */
function envNamesRead(files: readonly string[]): Set<string> {
  const names = new Set<string>();
  const re =
    /\.env\(\s*["']([A-Z][A-Z0-9_]*)["']\s*\)|\benv\.([A-Z][A-Z0-9_]*)|\benv\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]/g;
  for (const f of files) {
    for (const m of readFileSync(f, "utf8").matchAll(re)) names.add(m[1] ?? m[2] ?? m[3]!);
  }
  return names;
}

function dockerfileInstructions(): { op: string; args: string }[] {
  return readFileSync(join(ROOT, DOCKERFILE), "utf8")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [op = "", ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

describe("deploy - compose files", () => {
  it("deploy - the compose files parse as YAML with their anchors resolved", () => {
    for (const [file, c] of composeFiles) {
      expect(Object.keys(c.services).length, relative(ROOT, file)).toBeGreaterThan(0);
    }
    // The anchors gave every mesh service the build, the dependencies and the shared environment.
    expect(readFileSync(COMPOSE_FILE, "utf8")).toContain("<<: *mesh");
    expect(meshServices(compose)).toHaveLength(5);
    for (const [name, s] of meshServices(compose)) {
      expect(s.environment?.NATS_URL, name).toBeDefined();
      expect(dependsOn(s), name).toContain("nats");
    }
  });

  it("deploy - the compose file runs nats, jaeger, a coordinator and procmond x2, netmond, fsmond", () => {
    expect(service("nats").image).toMatch(/^nats:/);
    expect(service("jaeger").image).toMatch(/^jaegertracing\/all-in-one:/);
    const mesh = meshServices(compose);
    const subcommands = mesh.map(([, s]) => s.command?.[0]);
    expect(subcommands.filter((c) => c === "coordinator")).toHaveLength(1);
    const types = mesh
      .filter(([, s]) => s.command?.[0] === "collector")
      .map(([, s]) => flag(s.command, "--type"))
      .sort();
    expect(types).toEqual(["fsmond", "netmond", "procmond", "procmond"]);
    // Instance ids are explicit and distinct: they name subjects and KV keys.
    const ids = mesh.map(([, s]) => flag(s.command, "--id"));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(new Subjects().collectorTask(id!)).toContain(id);
    // Prometheus is optional: behind a profile, so `docker compose up` does not start it.
    expect(service("prometheus").image).toMatch(/^prom\/prometheus:/);
    expect(service("prometheus").profiles).toEqual(["metrics"]);
  });

  it("deploy - every file the compose files reference exists (deploy/secrets once generated)", () => {
    const copy = copyDeploy({ secrets: true });
    // Bind mounts below deploy/secrets name what scripts/mesh-secrets.sh generates.
    const resolveBind = (file: string, source: string) =>
      source.startsWith(`${SECRETS_DIR}/`) || source === SECRETS_DIR
        ? join(copy.dir, "secrets", relative(SECRETS_DIR, source))
        : near(file, source);
    try {
      checkReferences(resolveBind);
    } finally {
      copy.dispose();
    }
  });

  function checkReferences(resolveBind: (file: string, source: string) => string): void {
    for (const [file, c] of composeFiles) {
      const where = relative(ROOT, file);
      const named = Object.keys(c.volumes ?? {});
      for (const [name, s] of Object.entries(c.services)) {
        if (typeof s.build === "object") {
          const context = near(file, s.build.context);
          expect(statSync(context).isDirectory(), `${where} ${name} build context`).toBe(true);
          const dockerfile = join(context, s.build.dockerfile ?? "Dockerfile");
          expect(existsSync(dockerfile), `${where} ${name} ${dockerfile}`).toBe(true);
        }
        for (const v of s.volumes ?? []) {
          const { source, bind } = parseVolume(v);
          if (bind) {
            expect(existsSync(resolveBind(file, source)), `${where} ${name} ${source}`).toBe(true);
          } else expect(named, `${where} ${name} volume ${source}`).toContain(source);
        }
        for (const d of dependsOn(s))
          expect(Object.keys(c.services), `${name} -> ${d}`).toContain(d);
      }
    }
  }

  it("deploy - nats runs the mounted deploy/nats-server-secured.conf, its secrets beside it, and publishes its ports", () => {
    const nats = service("nats");
    const conf = flag(nats.command, "-c")!;
    const mount = nats.volumes?.map(parseVolume).find((v) => v.target === conf);
    expect(mount?.source).toBe("./deploy/nats-server-secured.conf");
    const text = readFileSync(join(DEPLOY, "nats-server-secured.conf"), "utf8");
    // It includes ./secrets/server.conf: the generated secrets are mounted there.
    const include = /^\s*include\s+(\S+)/m.exec(text)?.[1];
    expect(include).toBe("./secrets/server.conf");
    const secrets = nats.volumes?.map(parseVolume).find((v) => v.source === SECRETS_DIR);
    expect(secrets?.target).toBe(join(dirname(conf), "secrets"));
    expect(text).toMatch(/^\s*jetstream\s*\{/m);
    const clientPort = Number(confValue(text, "listen")?.split(":").pop());
    const httpPort = Number(confValue(text, "http_port"));
    const published = (nats.ports ?? []).map(parsePort);
    expect(published).toContainEqual({ host: clientPort, container: clientPort });
    expect(published).toContainEqual({ host: httpPort, container: httpPort });
    expect(nats.healthcheck?.test.join(" ")).toContain(`:${httpPort}/healthz`);
    // The store lives in a named volume mounted above it.
    const store = confValue(text, "store_dir")!;
    const data = nats.volumes?.map(parseVolume).find((v) => !v.bind);
    expect(data && store.startsWith(`${data.target}/`)).toBe(true);
  });
});

describe("deploy - the command line in compose", () => {
  it("deploy - every environment name the CLI's source reads is in CLI_ENV, and each is read", () => {
    const files = CLI_SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(0);
    const read = envNamesRead(files);
    expect(read.size).toBeGreaterThan(0);
    for (const name of read) expect(CLI_ENV, `the CLI reads ${name}`).toContain(name);
    for (const name of CLI_ENV) expect([...read], `nothing reads ${name}`).toContain(name);
  });

  it("deploy - the coordinator and collector subcommands take their environment from CLI_ENV", async () => {
    const program = await cliProgram();
    for (const name of ["coordinator", "collector"]) {
      const cmd = program.commands.find((c) => c.name() === name);
      expect(cmd, name).toBeDefined();
      const env = cmd!.options.map((o) => o.envVar).filter((e) => e !== undefined);
      expect(env.length).toBeGreaterThan(0);
      for (const e of env) expect(CLI_ENV, `${name} reads ${e}`).toContain(e);
    }
  });

  it("deploy - compose gives mesh services only environment names the CLI (or node) reads", () => {
    const mesh = meshServices(compose);
    expect(mesh.length).toBe(5);
    for (const [name, s] of mesh) {
      for (const key of Object.keys(s.environment ?? {})) {
        expect([...CLI_ENV, ...NODE_ENV], `${name}: ${key}`).toContain(key);
      }
      expect(s.environment?.MESH_PREFIX ?? DEFAULT_PREFIX, name).toBe(DEFAULT_PREFIX);
    }
  });

  it("deploy - compose commands use subcommands, flags and collector types the CLI has", async () => {
    const program = await cliProgram();
    for (const [name, s] of meshServices(compose)) {
      const [sub, ...args] = s.command ?? [];
      const cmd = program.commands.find((c) => c.name() === sub);
      expect(cmd, `${name}: subcommand ${sub}`).toBeDefined();
      const longs = cmd!.options.map((o) => o.long);
      for (const a of args.filter((a) => a.startsWith("--"))) {
        expect(longs, `${name}: ${sub} ${a}`).toContain(a);
      }
      const type = flag(s.command, "--type");
      if (sub === "collector") expect(Object.keys(referenceCollectors)).toContain(type);
    }
  });
});

describe("deploy - the coordinator's heap ceiling", () => {
  it("deploy - compose's coordinator and the systemd unit give node the same NODE_OPTIONS: a heap ceiling and a small young generation", () => {
    const [, coord] = meshServices(compose).find(([, s]) => s.command?.[0] === "coordinator")!;
    const unit = readFileSync(
      join(ROOT, "deploy/systemd/collector-mesh-coordinator.service"),
      "utf8",
    );
    // Quoted: systemd splits an unquoted assignment at its spaces.
    const fromUnit = /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(unit)?.[1];
    expect(fromUnit).toMatch(/^--max-old-space-size=\d+ --max-semi-space-size=\d+$/);
    expect(coord.environment?.NODE_OPTIONS).toBe(fromUnit);
  });
});

describe("deploy - ports agree", () => {
  it("deploy - the coordinator's METRICS_PORT is published and scraped by Prometheus", () => {
    const [name, coord] = meshServices(compose).find(([, s]) => s.command?.[0] === "coordinator")!;
    const port = Number(coord.environment?.METRICS_PORT);
    expect(port).toBeGreaterThan(0);
    expect((coord.ports ?? []).map(parsePort)).toContainEqual({ host: port, container: port });
    const prom = service("prometheus");
    const mount = prom.volumes?.map(parseVolume).find((v) => v.target.endsWith("prometheus.yml"));
    expect(mount?.source).toBe("./deploy/prometheus.yml");
    expect(prom.command).toContain(`--config.file=${mount!.target}`);
    const conf = loadPrometheus(near(COMPOSE_FILE, mount!.source));
    const targets = conf.scrape_configs.flatMap((j) => j.static_configs.flatMap((c) => c.targets));
    expect(targets).toContain(`${name}:${port}`);
    expect(dependsOn(prom)).toContain(name);
  });

  it("deploy - NATS_URL names the nats service on its client port", () => {
    const text = readFileSync(join(DEPLOY, "nats-server.conf"), "utf8");
    const clientPort = Number(confValue(text, "listen")?.split(":").pop());
    for (const [name, s] of meshServices(compose)) {
      const urls = (s.environment?.NATS_URL ?? "").split(",").map((u) => new URL(u.trim()));
      for (const u of urls) {
        expect(u.protocol, name).toBe("nats:");
        expect(u.hostname, name).toBe("nats");
        expect(Number(u.port), name).toBe(clientPort);
      }
    }
  });

  it("deploy - the OTLP endpoint is Jaeger's published OTLP/HTTP port", () => {
    const jaeger = service("jaeger");
    expect(jaeger.environment?.COLLECTOR_OTLP_ENABLED).toBe("true");
    const published = (jaeger.ports ?? []).map(parsePort);
    for (const p of [4317, 4318, 16686])
      expect(published).toContainEqual({ host: p, container: p });
    for (const [name, s] of meshServices(compose)) {
      const u = new URL(s.environment?.OTEL_EXPORTER_OTLP_ENDPOINT ?? "");
      expect(u.protocol, name).toBe("http:");
      expect(u.hostname, name).toBe("jaeger");
      expect(u.port, name).toBe("4318");
      expect(dependsOn(s), name).toContain("jaeger");
    }
  });
});

interface PrometheusConfig {
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

function loadPrometheus(file: string): PrometheusConfig {
  return parseYaml(readFileSync(file, "utf8")) as PrometheusConfig;
}

describe("deploy - the image", () => {
  const instructions = dockerfileInstructions();
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    bin: Record<string, string>;
    scripts: Record<string, string>;
  };

  it("deploy - the Dockerfile builds on Node 20 with npm ci and npm run build", () => {
    const froms = instructions.filter((i) => i.op === "FROM").map((i) => i.args);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const nodeVersion = instructions.find(
      (i) => i.op === "ARG" && i.args.startsWith("NODE_VERSION"),
    );
    expect(nodeVersion?.args).toBe("NODE_VERSION=20");
    for (const f of froms) expect(f).toMatch(/^node:\$\{NODE_VERSION\}-/);
    const runs = instructions.filter((i) => i.op === "RUN").map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(pkg.scripts.build).toBeDefined();
  });

  it("deploy - the image's entrypoint is the compiled collector-mesh command", () => {
    const entry = instructions.find((i) => i.op === "ENTRYPOINT");
    const argv = JSON.parse(entry!.args) as string[];
    expect(argv).toEqual(["node", pkg.bin["collector-mesh"]]);
    // tsc -p tsconfig.build.json compiles src/cli/main.ts to that path.
    const base = JSON.parse(readFileSync(join(ROOT, "tsconfig.json"), "utf8")) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    const build = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as {
      include: string[];
    };
    const out = join(
      base.compilerOptions.outDir,
      relative(base.compilerOptions.rootDir, "src/cli/main.ts"),
    );
    expect(out.replace(/\.ts$/, ".js")).toBe(argv[1]);
    expect(existsSync(join(ROOT, "src/cli/main.ts"))).toBe(true);
    // Everything the build compiles is copied in.
    const copied = instructions
      .filter((i) => i.op === "COPY" && !i.args.includes("--from"))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const dir of build.include) expect(copied).toContain(dir);
  });

  it("deploy - everything the Dockerfile copies exists and is not dockerignored", () => {
    const ignored = readFileSync(join(ROOT, `${DOCKERFILE}.dockerignore`), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const sources = instructions
      .filter((i) => i.op === "COPY" && !i.args.includes("--from"))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(join(ROOT, src)), src).toBe(true);
      expect(ignored, src).not.toContain(src.split("/")[0]);
    }
  });
});
