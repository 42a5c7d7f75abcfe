import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceCollectors } from "../../src/collectors/index.js";
import { buildProgram } from "../../src/cli/program.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";
import { CliProcess, ROOT, cli, cliEnv } from "./cli.js";

/**
 * The command as README installs it (`npm install -g .`, here into a temporary prefix) and as the
 * systemd units in deploy/systemd/ run it: the installed `collector-mesh`, not npx.
 */

const SYSTEMD = path.join(ROOT, "deploy/systemd");
let prefix: string;
let env: NodeJS.ProcessEnv;
let mesh: Mesh;
const children: CliProcess[] = [];

/** Newest modification time of the TypeScript the build compiles. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (f.endsWith(".ts")) newest = Math.max(newest, statSync(path.join(dir, f)).mtimeMs);
  }
  return newest;
}

/** dist/ as the installed command runs it: built now when missing or older than the source. */
function ensureBuilt(): void {
  const main = path.join(ROOT, "dist/src/cli/main.js");
  let built = 0;
  try {
    built = statSync(main).mtimeMs;
  } catch {
    // not built yet
  }
  const source = Math.max(
    newestSource(path.join(ROOT, "src")),
    newestSource(path.join(ROOT, "subjects")),
  );
  if (built >= source) return;
  const r = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8", timeout: 180_000 });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
}

beforeAll(async () => {
  ensureBuilt();
  prefix = mkdtempSync(path.join(tmpdir(), "cli-install-"));
  const r = spawnSync(
    "npm",
    ["install", "-g", ".", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts"],
    { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
  );
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  expect(statSync(path.join(prefix, "bin", "collector-mesh")).isFile()).toBe(true);
  env = cliEnv({ PATH: `${path.join(prefix, "bin")}:${process.env.PATH ?? ""}` });
  mesh = await startMesh();
}, 240_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop("SIGKILL")));
  await mesh?.dispose();
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

/** `collector-mesh <args>` found on the PATH, as a user or systemd starts it. */
function installed(args: readonly string[]): CliProcess {
  const c = new CliProcess(args, { command: "collector-mesh", env });
  children.push(c);
  return c;
}

interface Unit {
  file: string;
  exec: string[];
  keys: Map<string, string>;
}

function readUnit(file: string): Unit {
  const keys = new Map<string, string>();
  for (const line of readFileSync(path.join(SYSTEMD, file), "utf8").split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) keys.set(m[1]!, m[2]!);
  }
  return { file, exec: (keys.get("ExecStart") ?? "").split(/\s+/), keys };
}

async function collectorIds(prefixName = "daemoneye"): Promise<string[]> {
  const r = await cli([
    "status",
    "--json",
    "--bucket",
    "--prefix",
    prefixName,
    "--nats-url",
    mesh.ns.url,
  ]);
  return (JSON.parse(r.stdout || "[]") as { id: string }[]).map((row) => row.id);
}

describe("cli installed", { timeout: 120_000 }, () => {
  it("cli - npm install -g . puts collector-mesh on the PATH, and SIGTERM reaches the collector itself", async () => {
    const version = spawnSync("collector-mesh", ["--version"], { env, encoding: "utf8" });
    expect(version.status, version.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(version.stdout.trim()).toBe(pkg.version);
    const collector = installed([
      "collector",
      "--type",
      "procmond",
      "--id",
      "procmond-installed",
      "--nats-url",
      mesh.ns.url,
    ]);
    await until(
      async () => {
        if (!collector.running) throw new Error(`exited: ${collector.stderr}`);
        return (await collectorIds()).includes("procmond-installed");
      },
      30_000,
      "installed collector advertised",
    );
    // The process started is the collector, not a wrapper that would take the signal for it.
    const cmdline = readFileSync(`/proc/${collector.proc.pid}/cmdline`, "utf8").split("\0");
    expect(cmdline.join(" ")).toContain("collector --type procmond --id procmond-installed");
    expect(cmdline.join(" ")).not.toMatch(/\bnpm\b|\bnpx\b/);
    const r = await collector.stop("SIGTERM");
    expect(r.code, r.stderr).toBe(0);
    expect(await collectorIds()).not.toContain("procmond-installed");
  });

  it("cli - the systemd units run subcommands and flags the installed command has", () => {
    const program = buildProgram();
    const units = readdirSync(SYSTEMD).filter((f) => f.endsWith(".service"));
    expect(units.sort()).toEqual([
      "collector-mesh-collector@.service",
      "collector-mesh-coordinator.service",
    ]);
    for (const file of units) {
      const u = readUnit(file);
      expect(u.exec[0], file).toBe("collector-mesh");
      const sub = program.commands.find((c) => c.name() === u.exec[1]);
      expect(sub, file).toBeDefined();
      const longs = sub!.options.map((o) => o.long);
      for (const a of u.exec.filter((x) => x.startsWith("--")))
        expect(longs, `${file} ${a}`).toContain(a);
      expect(u.exec.join(" ")).toContain("--config /etc/collector-mesh/mesh.yaml");
      // systemctl stop sends it; the command drains on it.
      expect(u.keys.get("KillSignal"), file).toBe("SIGTERM");
      expect(u.keys.get("EnvironmentFile"), file).toBe("-/etc/collector-mesh/env");
    }
    const template = readUnit("collector-mesh-collector@.service");
    expect(template.exec.join(" ")).toContain("--type %i");
    expect(Object.keys(referenceCollectors).length).toBeGreaterThan(0);
  });

  it("cli - the units' command lines with deploy/systemd/mesh.yaml start a working mesh", async () => {
    // ExecStart as systemd would run it: %i the type, %l the host; the config from the checkout,
    // NATS from the test (the environment overrides the file, as NATS_URL in the env file would).
    const unitEnv = { ...env, NATS_URL: mesh.ns.url, METRICS_PORT: "0" };
    const argv = (file: string, type: string) =>
      readUnit(file)
        .exec.slice(1)
        .map((a) => a.replace("%i", type).replace("%l", "test"))
        .map((a) => (a === "/etc/collector-mesh/mesh.yaml" ? path.join(SYSTEMD, "mesh.yaml") : a));
    const start = (file: string, type = "") => {
      const c = new CliProcess(argv(file, type), { command: "collector-mesh", env: unitEnv });
      children.push(c);
      return c;
    };
    const coordinator = start("collector-mesh-coordinator.service");
    const procmond = start("collector-mesh-collector@.service", "procmond");
    const fsmond = start("collector-mesh-collector@.service", "fsmond");
    await until(
      async () => {
        for (const c of [coordinator, procmond, fsmond]) {
          if (!c.running) throw new Error(`exited: ${c.stderr}`);
        }
        const r = await cli(["status", "--json", "--nats-url", mesh.ns.url]);
        const rows = JSON.parse(r.stdout || "[]") as {
          id: string;
          health: string;
          seenBy: string;
        }[];
        return (
          rows.filter((x) => x.health === "healthy" && x.seenBy === "coord-test").length === 2 &&
          rows
            .map((x) => x.id)
            .sort()
            .join(",") === "fsmond-test,procmond-test"
        );
      },
      60_000,
      "the units' processes running",
    );
    const r = await cli([
      "submit",
      "--caps",
      "FILESYSTEM",
      '{"paths":["/var/log"]}',
      "--json",
      "--nats-url",
      mesh.ns.url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const stops = await Promise.all([coordinator, procmond, fsmond].map((c) => c.stop("SIGTERM")));
    for (const s of stops) expect(s.code, s.stderr).toBe(0);
  });
});
