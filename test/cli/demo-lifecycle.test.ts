import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startMesh, until } from "../support/nats-server.js";
import { CliProcess, cli } from "./cli.js";

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

  it("cli - demo --no-kill --nats-url uses that server and has no failover", async () => {
    await using mesh = await startMesh();
    const r = await cli(["demo", "--no-kill", "--tasks", "40", "--nats-url", mesh.ns.url], {
      timeoutMs: 110_000,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`using the NATS server at ${mesh.ns.url}`);
    expect(r.stdout).not.toContain("embedded nats-server");
    expect(r.stdout).not.toContain("SIGKILL");
    expect(r.stdout).toMatch(/^\s+tasks lost\s+0$/m);
    expect(r.stdout).toMatch(/^\s+failovers\s+0$/m);
  });
});
