import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { until } from "../support/nats-server.js";
import { cli, type CliProcess } from "./cli.js";
import { useCliMesh } from "./cli-mesh.js";

/**
 * The CLI when an instance fails: a coordinator and two procmond children; one is frozen
 * (SIGSTOP) so that a task sent to it moves, then killed (SIGKILL) so that it goes stale.
 */

const TTL_MS = 6000;
const mesh = useCliMesh();
const start = (args: readonly string[]) => mesh.start(args);
const healthy = () => mesh.collectorIds();
let url: string;
let procmondA: CliProcess;
let watch: CliProcess;

interface Row {
  id: string;
  health: string;
  heartbeatAgeMs: number;
  seenBy: string;
}

async function status(...extra: string[]): Promise<Row[]> {
  const r = await cli(["status", "--json", ...extra, "--nats-url", url]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Row[];
}

beforeAll(async () => {
  url = mesh.ns.url;
  const ttl = `${TTL_MS}ms`;
  start(["coordinator", "--id", "coord-f", "--attempt-timeout", "3s", "--advert-ttl", ttl]);
  procmondA = start(["collector", "--type", "procmond", "--id", "procmond-a", "--advert-ttl", ttl]);
  start(["collector", "--type", "procmond", "--id", "procmond-b", "--advert-ttl", ttl]);
  watch = start(["watch"]);
  await until(
    async () => {
      const dead = mesh.children.find((c) => !c.running);
      if (dead) throw new Error(`a child exited during start-up: ${dead.stderr}`);
      const ids = await healthy();
      return (
        ids.includes("procmond-a") &&
        ids.includes("procmond-b") &&
        watch.stderr.includes("watching")
      );
    },
    60_000,
    "coordinator, collectors and watch ready",
  );
}, 90_000);

afterAll(() => {
  // Thawed before the children are killed (the fixture's cleanup runs after this hook).
  if (procmondA.running) procmondA.proc.kill("SIGCONT");
});

describe("cli when an instance fails", { timeout: 90_000 }, () => {
  it("cli - submit shows the attempt and the re-send of a task that moved", async () => {
    // Frozen, procmond-a still looks healthy for a TTL: a task that goes to it times out after
    // --attempt-timeout and is sent again to procmond-b. Preferred, procmond-a gets the first
    // attempt (if a submit comes too late, after it went stale, the next one is tried).
    procmondA.proc.kill("SIGSTOP");
    try {
      const moved = await until(
        async () => {
          const r = await cli([
            "submit",
            "--caps",
            "PROCESS",
            "--collectors",
            "procmond-a,procmond-b",
            "--prefer",
            "id=procmond-a",
            "--timeout",
            "15s",
            JSON.stringify({ pids: [process.pid] }),
            "--nats-url",
            url,
          ]);
          expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
          return /re-send/.test(r.stdout) ? r : undefined;
        },
        60_000,
        "a task re-sent",
      );
      expect(moved.stdout).toMatch(/^complete: 1 of 1 result in .*, 1 re-send \(correlation /);
      expect(moved.stdout).toMatch(/^procmond-b \(attempt 2\): 1 process$/m);
    } finally {
      procmondA.proc.kill("SIGCONT");
    }
  });

  it("cli - stats counts the failure and the re-send against the frozen instance", async () => {
    const r = await cli(["stats", "--nats-url", url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\b1 re-sent\b/);
    expect(r.stdout).toMatch(
      /^procmond-a\s+\S+\s+0\/4\s+0\s+1 \(1 in a row\)\s+0\s+\S+( m?s)?\s+1$/m,
    );
    expect(r.stdout).toMatch(/^procmond-b\s+closed\s+0\/4\s+0\s+0\s+0\s+.*\s0$/m);
  });

  it("cli - a SIGKILLed collector shows as stale in status, and stays listed", async () => {
    await until(async () => (await healthy()).includes("procmond-a"), 20_000, "procmond-a back");
    procmondA.proc.kill("SIGKILL");
    const stale = await until(
      async () =>
        (await status()).find(
          (row) => row.id === "procmond-a" && row.health === "stale" && row.seenBy === "coord-f",
        ),
      TTL_MS + 15_000,
      "procmond-a stale in status",
    );
    expect(stale.heartbeatAgeMs).toBeGreaterThan(TTL_MS);
    // The bucket has dropped its expired advert; the coordinator still knows the collector.
    await until(
      async () => !(await status("--bucket")).some((row) => row.id === "procmond-a"),
      TTL_MS,
      "advert gone from the bucket",
    );
    const later = await until(
      async () =>
        (await status()).find(
          (row) => row.id === "procmond-a" && row.heartbeatAgeMs > TTL_MS + 4000,
        ),
      15_000,
      "procmond-a still listed 4 s after going stale",
    );
    expect(later.health).toBe("stale");
    const table = await cli(["status", "--nats-url", url]);
    expect(table.stdout).toMatch(/^procmond-a\s+procmond\s+PROCESS\|REALTIME\s+stale\s+/m);
    expect(table.stdout).toMatch(/^procmond-b\s+procmond\s+PROCESS\|REALTIME\s+healthy\s+/m);
    // watch saw it go stale and not leave: it comes back by itself when it heartbeats again.
    expect(watch.stdout).toMatch(/procmond-a stale \(healthy → unavailable\)/);
    expect(watch.stdout).not.toMatch(/procmond-a left/);
    // Its failover moved none of this coordinator's tasks: the line names no target and does not
    // claim there is none (procmond-b is there).
    expect(watch.stdout).toMatch(/failover\s+procmond-a: 0 tasks moved \(/);
    expect(watch.stdout).not.toContain("no other instance");
  });

  it("cli - status without a coordinator reads the bucket and says so", async () => {
    const r = await cli(["status", "--prefix", "nocoord", "--nats-url", url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("no coordinator answered on nocoord.api.status: read the bucket");
    expect(r.stdout).toContain("no collectors: the bucket nocoord_collectors does not exist yet");
  });
});
