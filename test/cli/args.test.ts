import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, cliEnv, isOneLineError } from "./cli.js";

/** The CLI without a NATS server: help, argument errors, connection errors. */

const SUBCOMMANDS = ["demo", "coordinator", "collector", "submit", "status", "watch"];
const UNREACHABLE = "nats://127.0.0.1:1";

describe("cli arguments", { timeout: 120_000 }, () => {
  it("cli - --help works on the command and on every subcommand", async () => {
    const top = await cli(["--help"]);
    expect(top.code).toBe(0);
    for (const c of SUBCOMMANDS) expect(top.stdout).toContain(c);
    const results = await Promise.all(SUBCOMMANDS.map((c) => cli([c, "--help"])));
    results.forEach((r, i) => {
      expect(r.code, `${SUBCOMMANDS[i]} --help`).toBe(0);
      expect(r.stdout).toContain(`Usage: collector-mesh ${SUBCOMMANDS[i]}`);
      expect(r.stdout).toContain("--prefix");
      expect(r.stdout).toContain("--nats-url");
      expect(r.stdout).toContain("--creds");
      expect(r.stdout).toContain("--log-level");
      expect(r.stderr).toBe("");
    });
  });

  it("cli - an invalid --priority is a one-line error", async () => {
    const r = await cli(["submit", "--caps", "PROCESS", "--priority", "urgent"]);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/--priority.*urgent/);
    expect(r.stdout).toBe("");
  });

  it("cli - an unknown subcommand is a one-line error", async () => {
    const r = await cli(["frobnicate"]);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toContain("frobnicate");
  });

  it("cli - bad values give one-line errors", async () => {
    const cases = [
      ["submit", "--caps", "PROCES"],
      ["submit", "--caps", "PROCESS", "--timeout", "soon"],
      ["submit", "--caps", "PROCESS", "{not json"],
      ["submit", "--priority", "high"],
      ["collector", "--type", "diskmond"],
      ["collector", "--type", "procmond", "--id", "a.b"],
      ["collector", "--type", "procmond", "--roots", "/tmp"],
      ["coordinator", "--prefix", "a.b"],
      ["status", "--log-level", "loud"],
      ["status", "--bogus"],
      ["demo", "--tasks", "0"],
    ];
    const results = await Promise.all(cases.map((args) => cli(args)));
    results.forEach((r, i) => {
      expect(isOneLineError(r), `${cases[i]?.join(" ")}: ${r.stderr}`).toBe(true);
    });
  });

  it("cli - an unreachable NATS URL is a one-line error", async () => {
    const [status, submit, env] = await Promise.all([
      cli(["status", "--nats-url", UNREACHABLE]),
      cli(["submit", "--caps", "PROCESS", "--nats-url", UNREACHABLE]),
      cli(["watch"], { env: cliEnv({ NATS_URL: UNREACHABLE }) }),
    ]);
    for (const r of [status, submit, env]) {
      expect(isOneLineError(r), r.stderr).toBe(true);
      expect(r.stderr).toContain(`cannot connect to NATS at ${UNREACHABLE}`);
    }
  });

  const noNatsDir = mkdtempSync(path.join(tmpdir(), "cli-test-path-"));
  afterAll(() => rmSync(noNatsDir, { recursive: true, force: true }));

  it("cli - demo without nats-server on the PATH prints the install hint", async () => {
    // A PATH with node and nothing else.
    symlinkSync(process.execPath, path.join(noNatsDir, "node"));
    const env = cliEnv({ PATH: noNatsDir });
    delete env.NATS_SERVER_BIN;
    const r = await cli(["demo", "--tasks", "5"], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("apt-get install nats-server");
    expect(r.stderr).toContain("brew install nats-server");
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
