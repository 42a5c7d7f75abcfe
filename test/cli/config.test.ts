import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMesh, until, type Mesh } from "../support/nats-server.js";
import { CliProcess, cli, cliEnv, isOneLineError } from "./cli.js";

/** `--config mesh.yaml`: values, precedence (flags > environment > file > defaults), errors. */

let dir: string;

function config(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "cli-config-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cli config file", { timeout: 120_000 }, () => {
  it("cli - config values apply, the environment overrides them, and flags override both", async () => {
    const file = config("precedence.yaml", "nats-url: nats://127.0.0.1:2\nlog-level: warn\n");
    const [fromFile, fromEnv, fromFlag] = await Promise.all([
      cli(["status", "--config", file]),
      cli(["status", "--config", file], { env: cliEnv({ NATS_URL: "nats://127.0.0.1:3" }) }),
      cli(["status", "--config", file, "--nats-url", "nats://127.0.0.1:4"], {
        env: cliEnv({ NATS_URL: "nats://127.0.0.1:3" }),
      }),
    ]);
    expect(fromFile.stderr).toContain("cannot connect to NATS at nats://127.0.0.1:2:");
    expect(fromEnv.stderr).toContain("cannot connect to NATS at nats://127.0.0.1:3:");
    expect(fromFlag.stderr).toContain("cannot connect to NATS at nats://127.0.0.1:4:");
  });

  it("cli - a section gives a subcommand its own values, required ones included", async () => {
    const file = config(
      "collector.yaml",
      "nats-url: nats://127.0.0.1:1\ncollector:\n  type: fsmond\n  roots: [/nonexistent-config-root]\n",
    );
    const r = await cli(["collector", "--config", file]);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toContain("--roots /nonexistent-config-root does not exist");
    const none = config("empty.yaml", "nats-url: nats://127.0.0.1:1\n");
    const missing = await cli(["collector", "--config", none]);
    expect(isOneLineError(missing), missing.stderr).toBe(true);
    expect(missing.stderr).toContain(
      "collector needs --type <type> (procmond, netmond, fsmond), on the command line or in the config file",
    );
  });

  it("cli - shared heartbeat and advert TTL are checked by coordinator and collector alike", async () => {
    const file = config(
      "ttl.yaml",
      "nats-url: nats://127.0.0.1:1\nheartbeat: 2s\nadvert-ttl: 3s\ncollector:\n  type: procmond\n",
    );
    const [coord, collector] = await Promise.all([
      cli(["coordinator", "--config", file]),
      cli(["collector", "--config", file]),
    ]);
    expect(coord.stderr).toContain("--advert-ttl 3s is less than 2 × the collectors' heartbeat");
    expect(collector.stderr).toContain("--advert-ttl 3s is less than 2 × --heartbeat 2s");
  });

  it("cli - config mistakes are one line that names the file and the key", async () => {
    const cases: [string, string, string][] = [
      ["unknown.yaml", "bogus: 1\n", "unknown.yaml: bogus: no subcommand has the option --bogus"],
      [
        "section.yaml",
        "coordinator:\n  roots: [/tmp]\n",
        "section.yaml: coordinator.roots: coordinator has no option --roots",
      ],
      [
        "value.yaml",
        "coordinator:\n  attempt-timeout: soon\n",
        "value.yaml: coordinator.attempt-timeout: Use a duration such as 500ms",
      ],
      [
        "bound.yaml",
        "coordinator:\n  grace: 1h\n",
        "bound.yaml: coordinator.grace: Use at most 10m.",
      ],
      ["choice.yaml", "log-level: loud\n", "choice.yaml: log-level: Use one of fatal"],
      ["syntax.yaml", "coordinator: [unclosed\n", "syntax.yaml: not valid YAML:"],
      ["list.yaml", "- a\n- b\n", "list.yaml: must be a mapping of option names to values"],
    ];
    const results = await Promise.all(
      cases.map(([name, text]) => cli(["coordinator", "--config", config(name, text)])),
    );
    results.forEach((r, i) => {
      expect(isOneLineError(r), r.stderr).toBe(true);
      expect(r.stderr).toContain(cases[i]![2]);
    });
    const absent = await cli(["status", "--config", path.join(dir, "absent.yaml")]);
    expect(isOneLineError(absent), absent.stderr).toBe(true);
    expect(absent.stderr).toContain(
      `cannot read the config file ${path.join(dir, "absent.yaml")}: ENOENT`,
    );
  });

  describe("against a server", () => {
    let mesh: Mesh;
    const children: CliProcess[] = [];
    beforeAll(async () => {
      mesh = await startMesh();
    });
    afterAll(async () => {
      await Promise.all(children.map((c) => c.stop("SIGKILL")));
      await mesh?.dispose();
    });

    it("cli - coordinator and collector run from one config file", async () => {
      const file = config(
        "mesh.yaml",
        [
          `nats-url: ${mesh.ns.url}`,
          "prefix: cfgmesh",
          "log-level: warn",
          "heartbeat: 500ms",
          "advert-ttl: 2s",
          "coordinator:",
          "  id: coord-cfg",
          "collector:",
          "  type: procmond",
          "  id: procmond-cfg",
          "  label: { rack: r12, zone: b }",
          "",
        ].join("\n"),
      );
      const coordinator = new CliProcess(["coordinator", "--config", file]);
      const collector = new CliProcess(["collector", "--config", file]);
      children.push(coordinator, collector);
      const row = await until(
        async () => {
          if (!coordinator.running || !collector.running) {
            throw new Error(`exited: ${coordinator.stderr}${collector.stderr}`);
          }
          const r = await cli(["status", "--json", "--config", file]);
          const rows = JSON.parse(r.stdout || "[]") as {
            id: string;
            health: string;
            seenBy: string;
            labels: Record<string, string>;
          }[];
          // The coordinator's view: until it answers, status reads the bucket.
          return rows.find(
            (x) => x.id === "procmond-cfg" && x.health === "healthy" && x.seenBy === "coord-cfg",
          );
        },
        60_000,
        "procmond-cfg healthy in status",
      );
      expect(row.labels).toMatchObject({ rack: "r12", zone: "b" });
      const [c, p] = await Promise.all([coordinator.stop("SIGTERM"), collector.stop("SIGTERM")]);
      expect(c.code, c.stderr).toBe(0);
      expect(p.code, p.stderr).toBe(0);
    });
  });
});
