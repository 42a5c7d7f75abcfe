import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AggregatedResult } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { cli, isOneLineError, type CliProcess } from "./cli.js";
import { useCliMesh } from "./cli-mesh.js";

/**
 * The CLI against its own nats-server: a `coordinator` and two `collector` children (procmond,
 * fsmond), then `status`, `submit` and `watch` as further children.
 */

const mesh = useCliMesh();
const start = (args: readonly string[]) => mesh.start(args);
let url: string;
let fsRoot: string;
let payloadDir: string;
let coordinator: CliProcess;
let procmond: CliProcess;
let fsmond: CliProcess;
let metricsPort: number;

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

beforeAll(async () => {
  url = mesh.ns.url;
  fsRoot = mkdtempSync(path.join(tmpdir(), "cli-test-fsroot-"));
  payloadDir = mkdtempSync(path.join(tmpdir(), "cli-test-payload-"));
  metricsPort = await freePort();
  coordinator = start(["coordinator", "--id", "coord-test", "--metrics-port", String(metricsPort)]);
  procmond = start(["collector", "--type", "procmond", "--id", "procmond-t"]);
  fsmond = start(["collector", "--type", "fsmond", "--id", "fsmond-t", "--roots", fsRoot]);
  const ready = await until(
    async () => {
      const dead = mesh.children.find((c) => !c.running);
      if (dead) return `a child exited during start-up: ${dead.stderr}`;
      const ids = await mesh.collectorIds();
      return ids.includes("procmond-t") && ids.includes("fsmond-t") && "ready";
    },
    60_000,
    "coordinator and collectors ready",
  );
  expect(ready).toBe("ready");
}, 90_000);

afterAll(() => {
  if (fsRoot) rmSync(fsRoot, { recursive: true, force: true });
  if (payloadDir) rmSync(payloadDir, { recursive: true, force: true });
});

describe("cli against a running mesh", { timeout: 60_000 }, () => {
  it("cli - status --json lists the collectors the test started", async () => {
    const r = await cli(["status", "--json", "--nats-url", url]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      id: string;
      type: string;
      capabilities: string;
      health: string;
      inFlight: number;
      capacity: number;
    }[];
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get("procmond-t")).toMatchObject({
      type: "procmond",
      capabilities: "PROCESS|REALTIME",
      health: "healthy",
    });
    expect(byId.get("fsmond-t")).toMatchObject({
      type: "fsmond",
      capabilities: "FILESYSTEM",
      health: "healthy",
    });
    expect(byId.get("procmond-t")?.capacity).toBeGreaterThan(0);
  });

  it("cli - status prints a table of collectors", async () => {
    const r = await cli(["status", "--nats-url", url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ID\s+TYPE\s+CAPABILITIES\s+HEALTH\s+IN-FLIGHT\s+HEARTBEAT/);
    expect(r.stdout).toMatch(/procmond-t\s+procmond\s+PROCESS\|REALTIME\s+healthy\s+\d+\/\d+/);
    expect(r.stdout).toMatch(/fsmond-t\s+fsmond\s+FILESYSTEM\s+healthy/);
  });

  it("cli - submit --json returns procmond's process list with the test's own pid", async () => {
    const payload = JSON.stringify({ pids: [process.pid] });
    const r = await cli(["submit", "--caps", "PROCESS", "--json", payload, "--nats-url", url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const result = JSON.parse(r.stdout) as AggregatedResult;
    expect(result.status).toBe("complete");
    expect(result.results).toHaveLength(1);
    const [first] = result.results;
    expect(first?.collectorId).toBe("procmond-t");
    expect(first?.status).toBe("ok");
    const procs = (first?.payload as { processes: { pid: number; name: string }[] }).processes;
    expect(procs.map((p) => p.pid)).toEqual([process.pid]);
    expect(procs[0]?.name).toBe(readFileSync("/proc/self/comm", "utf8").trim());
  });

  it("cli - submit prints a status line and each result", async () => {
    const payload = JSON.stringify({ pids: [process.pid] });
    const r = await cli([
      "submit",
      "--caps",
      "PROCESS",
      "--priority",
      "high",
      payload,
      "--nats-url",
      url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^complete: 1 of 1 result in /);
    expect(r.stdout).toMatch(/procmond-t\s+ok\s+.*processes: 1/);
  });

  it("cli - submit prints procmond's processes as a table, with the attempt", async () => {
    const payload = JSON.stringify({ pids: [process.pid] });
    const r = await cli(["submit", "--caps", "PROCESS", payload, "--nats-url", url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/collector\s+status\s+attempt\s+took\s+result/);
    expect(r.stdout).toMatch(/procmond-t\s+ok\s+1\s+\d/);
    expect(r.stdout).toMatch(/^procmond-t: 1 process$/m);
    expect(r.stdout).toMatch(/PID\s+PPID\s+UID\s+STATE\s+RSS\s+THREADS\s+STARTED\s+NAME\s+COMMAND/);
    const comm = readFileSync("/proc/self/comm", "utf8").trim();
    const row = new RegExp(`^\\s*${process.pid}\\s+${process.ppid}\\s+\\d+\\s+\\S+.*${comm}`, "m");
    expect(r.stdout).toMatch(row);
  });

  it("cli - submit prints fsmond's file stats and SHA-256 as a table", async () => {
    const file = path.join(fsRoot, "hello.txt");
    writeFileSync(file, "hello, mesh\n");
    const sha = createHash("sha256").update("hello, mesh\n").digest("hex");
    const r = await cli([
      "submit",
      "--caps",
      "FILESYSTEM",
      JSON.stringify({ paths: [file, fsRoot] }),
      "--nats-url",
      url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PATH\s+TYPE\s+SIZE\s+MODE\s+UID\s+GID\s+MODIFIED\s+SHA256/);
    expect(r.stdout).toMatch(new RegExp(`${file}\\s+file\\s+12 B\\s+0\\d{3}.*${sha}`));
    // The directory is listed below, with the file among its entries.
    expect(r.stdout).toContain(`${fsRoot}: `);
    expect(r.stdout).toMatch(/^\s+hello\.txt\s+file\s+12 B/m);
  });

  it("cli - submit --output jsonl prints a JSON line per process", async () => {
    const payload = JSON.stringify({ pids: [process.pid, process.ppid] });
    const r = await cli([
      "submit",
      "--caps",
      "PROCESS",
      "--output",
      "jsonl",
      payload,
      "--nats-url",
      url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { record: string; collectorId: string; attempt: number; pid: number },
      );
    expect(lines.map((l) => l.pid).sort((a, b) => a - b)).toEqual(
      [process.pid, process.ppid].sort((a, b) => a - b),
    );
    for (const l of lines) {
      expect(l).toMatchObject({ record: "process", collectorId: "procmond-t", attempt: 0 });
    }
  });

  it("cli - submit reads its payload from @file and from stdin", async () => {
    const file = path.join(payloadDir, "pids.json");
    writeFileSync(file, JSON.stringify({ pids: [process.pid] }));
    const [fromFile, fromStdin, badStdin] = await Promise.all([
      cli(["submit", "--caps", "PROCESS", "--json", `@${file}`, "--nats-url", url]),
      cli(["submit", "--caps", "PROCESS", "--json", "-", "--nats-url", url], {
        input: JSON.stringify({ pids: [process.pid] }),
      }),
      cli(["submit", "--caps", "PROCESS", "-", "--nats-url", url], { input: "{not json" }),
    ]);
    for (const r of [fromFile, fromStdin]) {
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as AggregatedResult;
      const procs = (result.results[0]?.payload as { processes: { pid: number }[] }).processes;
      expect(procs.map((p) => p.pid)).toEqual([process.pid]);
    }
    expect(isOneLineError(badStdin), badStdin.stderr).toBe(true);
    expect(badStdin.stderr).toContain("the payload on stdin is not valid JSON");
    const missing = await cli(["submit", "--caps", "PROCESS", "@/nonexistent.json"]);
    expect(isOneLineError(missing), missing.stderr).toBe(true);
    expect(missing.stderr).toContain("cannot read the payload file /nonexistent.json: ENOENT");
  });

  it("cli - a payload larger than a request may be is refused in one line", async () => {
    // 589 KB: too long for an argument on many systems, and for a coordinator's request limit.
    const file = path.join(payloadDir, "big.json");
    writeFileSync(file, JSON.stringify({ name: "x".repeat(589 * 1024) }));
    const r = await cli(["submit", "--caps", "PROCESS", `@${file}`, "--nats-url", url]);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toContain(`the payload in ${file} makes a request of 590 KiB`);
    expect(r.stderr).toContain("a coordinator accepts at most 256 KiB");
  });

  it("cli - stats prints the coordinator's counters and a line per instance", async () => {
    const [table, json] = await Promise.all([
      cli(["stats", "--nats-url", url]),
      cli(["stats", "--json", "--nats-url", url]),
    ]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      /^coordinator coord-test: strategy least-connections; \d+ submitted/,
    );
    expect(table.stdout).toMatch(
      /^queue: 0 waiting for capacity \(critical 0, high 0, normal 0, low 0\)/m,
    );
    expect(table.stdout).toMatch(
      /INSTANCE\s+STATE\s+LOAD\s+ASSIGNED\s+FAILURES\s+EJECTIONS\s+LATENCY\s+RE-SENT/,
    );
    expect(table.stdout).toMatch(/^procmond-t\s+closed\s+0\/4\s+0\s+0\s+0\s+\d+(\.\d)? m?s\s+0$/m);
    expect(table.stdout).toMatch(/^fsmond-t\s+closed\s+0\/\d+/m);
    const stats = JSON.parse(json.stdout) as {
      coordinatorId: string;
      balancing: { instances: Record<string, { failures: number }> };
      coordinator: { submitted: number; resentFrom: Record<string, number> };
    };
    expect(stats.coordinatorId).toBe("coord-test");
    expect(Object.keys(stats.balancing.instances).sort()).toEqual(["fsmond-t", "procmond-t"]);
    expect(stats.coordinator.submitted).toBeGreaterThan(0);
    expect(stats.coordinator.resentFrom).toEqual({});
  });

  it("cli - fsmond refuses /etc/shadow outside its roots", async () => {
    const payload = JSON.stringify({ paths: ["/etc/shadow"] });
    const r = await cli(["submit", "--caps", "FILESYSTEM", "--json", payload, "--nats-url", url]);
    expect(r.code, r.stderr).toBe(2);
    const result = JSON.parse(r.stdout) as AggregatedResult;
    expect(result.results).toHaveLength(1);
    expect(result.results[0]).toMatchObject({
      collectorId: "fsmond-t",
      status: "error",
      error: { code: "PATH_NOT_ALLOWED" },
    });
    expect(JSON.stringify(result)).not.toContain("root:");
  });

  it("cli - a capability nobody advertises is a one-line error", async () => {
    const r = await cli(["submit", "--caps", "NETWORK", "--nats-url", url]);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toContain("NO_CAPABLE_COLLECTOR");
  });

  it("cli - submit without a coordinator says how to start one", async () => {
    const r = await cli(["submit", "--caps", "PROCESS", "--prefix", "nocoord", "--nats-url", url]);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toContain(
      "no coordinator is serving nocoord.api.submit; start one with `collector-mesh coordinator`",
    );
  });

  it("cli - watch prints collector events live", async () => {
    const watch = start(["watch"]);
    const watchJson = start(["watch", "--json"]);
    await until(
      () => watch.stderr.includes("watching") && watchJson.stderr.includes("watching"),
      30_000,
      "watch subscribed",
    );
    const netmond = start(["collector", "--type", "netmond", "--id", "netmond-t"]);
    await until(() => /netmond-t joined/.test(watch.stdout), 30_000, "joined event");
    expect((await netmond.stop("SIGTERM")).code).toBe(0);
    await until(() => /netmond-t left/.test(watch.stdout), 30_000, "left event");
    await until(() => watchJson.stdout.includes('"kind":"left"'), 30_000, "left event as JSON");
    const events = watchJson.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; kind: string; collectorId: string });
    expect(events).toContainEqual(
      expect.objectContaining({ event: "collector", kind: "joined", collectorId: "netmond-t" }),
    );
    expect((await watch.stop("SIGINT")).code).toBe(0);
    expect((await watchJson.stop("SIGTERM")).code).toBe(0);
  });

  it("cli - the coordinator serves Prometheus metrics on --metrics-port", async () => {
    const r = await cli([
      "submit",
      "--caps",
      "PROCESS",
      "--json",
      "--nats-url",
      url,
      JSON.stringify({ pids: [process.pid] }),
    ]);
    expect(r.code).toBe(0);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(
      /^collector_mesh_tasks_total\{outcome="complete",priority="normal"\} [1-9]/m,
    );
    expect(text).toMatch(/^collector_mesh_collectors\{health="healthy"\} 2$/m);
    expect(text).toContain("# TYPE collector_mesh_task_duration_seconds histogram");
    // Process metrics carry the prefix once.
    expect(text).toMatch(/^collector_mesh_process_cpu_seconds_total \d/m);
    expect(text).not.toContain("process_process");
  });

  it("cli - the metrics endpoint listens on 127.0.0.1 only by default", async () => {
    // 127.0.0.2 is this machine's loopback too: a server bound to 0.0.0.0 would answer there.
    const other = await fetch(`http://127.0.0.2:${metricsPort}/metrics`).then(
      (r) => `answered ${r.status}`,
      (err: Error) => (err.cause as NodeJS.ErrnoException | undefined)?.code ?? err.message,
    );
    expect(other).toBe("ECONNREFUSED");
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
  });

  it("cli - submit prints netmond's sockets as a table, with the owning process", async () => {
    const listener = createServer();
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", () => r()));
    const port = (listener.address() as AddressInfo).port;
    const netmond = start(["collector", "--type", "netmond", "--id", "netmond-s"]);
    try {
      await until(async () => (await mesh.collectorIds()).includes("netmond-s"), 30_000, "netmond");
      const payload = JSON.stringify({ localPort: port, states: ["LISTEN"] });
      const [table, jsonl] = await Promise.all([
        cli(["submit", "--caps", "NETWORK", payload, "--nats-url", url]),
        cli(["submit", "--caps", "NETWORK", "--output", "jsonl", payload, "--nats-url", url]),
      ]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/^netmond-s: 1 socket$/m);
      expect(table.stdout).toMatch(/PROTO\s+LOCAL\s+REMOTE\s+STATE\s+UID\s+PID\s+PROCESS/);
      const comm = readFileSync("/proc/self/comm", "utf8").trim();
      const row = new RegExp(
        `^\\s*tcp\\s+127\\.0\\.0\\.1:${port}\\s+0\\.0\\.0\\.0:\\*\\s+LISTEN\\s+\\d+\\s+${process.pid}\\s+${comm}`,
        "m",
      );
      expect(table.stdout).toMatch(row);
      expect(jsonl.code, jsonl.stderr).toBe(0);
      expect(JSON.parse(jsonl.stdout.trim())).toMatchObject({
        collectorId: "netmond-s",
        record: "socket",
        protocol: "tcp",
        localPort: port,
        state: "LISTEN",
        pid: process.pid,
      });
    } finally {
      expect((await netmond.stop("SIGTERM")).code).toBe(0);
      await new Promise<void>((r) => listener.close(() => r()));
    }
  });

  it("cli - coordinator and collectors drain and exit 0 on SIGINT/SIGTERM", async () => {
    const [c, p, f] = await Promise.all([
      coordinator.stop("SIGTERM"),
      procmond.stop("SIGINT"),
      fsmond.stop("SIGTERM"),
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(p.code, p.stderr).toBe(0);
    expect(f.code, f.stderr).toBe(0);
    // A collector that drained withdrew its advert.
    const r = await cli(["status", "--json", "--nats-url", url]);
    const ids = (JSON.parse(r.stdout) as { id: string }[]).map((row) => row.id);
    expect(ids).not.toContain("procmond-t");
    expect(ids).not.toContain("fsmond-t");
  });
});
