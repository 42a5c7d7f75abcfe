import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NatsServer, startMesh, until } from "../support/nats-server.js";
import { CliProcess, MAIN, ROOT, cli, cliEnv } from "./cli.js";

const errDir = mkdtempSync(path.join(tmpdir(), "cli-demo-head-"));
const errFile = path.join(errDir, "stderr");
afterAll(() => rmSync(errDir, { recursive: true, force: true }));

/** The demo's options and its clean-up when interrupted. */

/** Pids of running processes whose command line contains `needle`. */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmdline.includes(needle)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Starts a long demo, interrupts it once `stage` is printed, and checks nothing is left. */
async function interruptDemo(stage: RegExp, group: boolean): Promise<void> {
  const demo = new CliProcess(["demo", "--tasks", "100000"], { detached: group });
  try {
    await until(() => stage.test(demo.stdout) || !demo.running, 90_000, `demo at ${stage}`);
    expect(demo.running, demo.stderr).toBe(true);
    const dir = /logs in (\S+)\/logs/.exec(demo.stdout)?.[1];
    const url = /embedded nats-server \S+ on (\S+)/.exec(demo.stdout)?.[1];
    expect(dir).toBeDefined();
    expect(url).toBeDefined();
    // Ctrl-C in a terminal signals the whole process group; a plain `kill -INT` only the demo.
    if (group) process.kill(-demo.proc.pid!, "SIGINT");
    else demo.proc.kill("SIGINT");
    const r = await demo.exited;
    expect(r.code, r.stderr).toBe(130);
    expect(existsSync(dir!)).toBe(false);
    expect(processesMentioning(dir!)).toEqual([]);
    expect(processesMentioning(url!)).toEqual([]);
  } finally {
    if (demo.running) {
      if (group) process.kill(-demo.proc.pid!, "SIGKILL");
      await demo.stop("SIGKILL");
    }
  }
}

describe("cli demo lifecycle", { timeout: 120_000 }, () => {
  it("cli - Ctrl-C during the workload stops every process and removes the temp dir", async () => {
    await interruptDemo(/\d+\/100000 tasks/, true);
  });

  it("cli - SIGINT to the demo during start-up stops every process and removes the temp dir", async () => {
    await interruptDemo(/starting coordinator-1/, false);
  });

  it("cli - demo | head -3 stops every process and removes the temp dir", async () => {
    // As a user types it: the shell's pipe into head, which exits after three lines.
    const script =
      `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(MAIN)} demo --tasks 100000 ` +
      `2>${JSON.stringify(errFile)} | head -3; echo "demo exit $\{PIPESTATUS[0]}"`;
    const r = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const p = spawn("bash", ["-c", script], { cwd: ROOT, env: cliEnv(), stdio: "pipe" });
      let stdout = "";
      p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      p.once("close", (code) => resolve({ stdout, code }));
    });
    const stderr = readFileSync(errFile, "utf8");
    expect(r.stdout.split("\n")[0]).toBe("collector-mesh demo");
    expect(r.stdout, stderr).toMatch(/^demo exit 141$/m);
    expect(stderr).toContain("its output was closed; stopping everything the demo started");
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    const dir = /JetStream store in (\S+?collector-mesh-demo-[^/]+)\//.exec(r.stdout)?.[1];
    const url = /embedded nats-server \S+ on (\S+)/.exec(r.stdout)?.[1];
    expect(dir).toBeDefined();
    expect(url).toBeDefined();
    expect(existsSync(dir!)).toBe(false);
    expect(processesMentioning(dir!)).toEqual([]);
    expect(processesMentioning(url!)).toEqual([]);
  });

  it("cli - demo --user --password logs its processes in to a server that requires it", async () => {
    await using ns = await NatsServer.start({
      jetstream: true,
      extraConfig: 'authorization { user: "demo", password: "s3cret-demo" }',
    });
    const r = await cli(
      [
        "demo",
        "--no-kill",
        "--tasks",
        "20",
        "--nats-url",
        ns.url,
        "--user",
        "demo",
        "--password",
        "s3cret-demo",
      ],
      { timeoutMs: 110_000 },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^\s+completed\s+20$/m);
  });

  it("cli - demo --no-kill --nats-url uses that server and has no failover", async () => {
    await using mesh = await startMesh();
    const r = await cli(
      ["demo", "--no-kill", "--keep-logs", "--tasks", "40", "--nats-url", mesh.ns.url],
      { timeoutMs: 110_000 },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    // --keep-logs: the directory printed at the start is there at the end, with every log.
    const logs = /\(logs in (\S+), kept\)/.exec(r.stdout)?.[1];
    expect(logs).toBeDefined();
    expect(r.stdout).toContain(`logs of the demo's processes: ${logs}`);
    try {
      expect(readdirSync(logs!).sort()).toEqual(
        ["coordinator-1", "fsmond-1", "netmond-1", "procmond-1", "procmond-2"].map(
          (n) => `${n}.log`,
        ),
      );
    } finally {
      rmSync(logs!, { recursive: true, force: true });
    }
    expect(r.stdout).toContain(`using the NATS server at ${mesh.ns.url}`);
    expect(r.stdout).not.toContain("embedded nats-server");
    expect(r.stdout).not.toContain("SIGKILL");
    expect(r.stdout).toMatch(/^\s+tasks lost\s+0$/m);
    expect(r.stdout).toMatch(/^\s+failovers\s+0$/m);
  });
});
