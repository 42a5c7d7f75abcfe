import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { natsServerVersion, until } from "../support/nats-server.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUN = fileURLToPath(new URL("../../bench/run.ts", import.meta.url));

interface BenchRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run bench -- <args>` without npm: the harness in its own process, output collected. */
function runBench(args: string[]): BenchRun {
  const child = spawn(process.execPath, ["--import", "tsx", RUN, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once("exit", (code, signal) => r({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Process ids the harness logged on stderr: `peer <name>: pid N`, `nats-server <v>: pid N`. */
function loggedPids(stderr: string): { peers: Map<string, number>; natsServer?: number } {
  const peers = new Map<string, number>();
  for (const m of stderr.matchAll(/^bench: peer (\S+): pid (\d+)$/gm))
    peers.set(m[1]!, Number(m[2]));
  const ns = /^bench: nats-server \S+: pid (\d+)$/m.exec(stderr);
  return { peers, natsServer: ns ? Number(ns[1]) : undefined };
}

/** True while `pid` runs (a zombie no longer does). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

interface Figures {
  sequential: { p50_us: number; p99_us: number; cpu_us_per_op: Record<string, number> };
  pipelined: { in_flight: number; per_s: number; cpu_us_per_op: Record<string, number> };
}

function expectSane(f: Figures | undefined, processes: string[]): void {
  expect(f).toBeDefined();
  expect(f!.pipelined.in_flight).toBe(64);
  expect(f!.pipelined.per_s).toBeGreaterThan(0);
  expect(f!.sequential.p50_us).toBeGreaterThan(0);
  expect(f!.sequential.p99_us).toBeGreaterThanOrEqual(f!.sequential.p50_us);
  for (const cpu of [f!.pipelined.cpu_us_per_op, f!.sequential.cpu_us_per_op]) {
    expect(Object.keys(cpu)).toEqual(processes);
    for (const v of Object.values(cpu)) {
      expect(Number.isFinite(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
    }
  }
  // The process that drives the round trips is measured by process.cpuUsage(): never zero.
  expect(Object.values(f!.pipelined.cpu_us_per_op)[0]).toBeGreaterThan(0);
}

const PEERS = ["micro", "moleculer_json", "moleculer_msgpack"];

describe("bench - the harness", () => {
  it("bench - --quick --json reports every phase, the peers beside the floor and e2e, and leaves no process behind", async () => {
    const run = runBench(["--quick", "--json"]);
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(0);
    const lines = run.stdout().trim().split("\n");
    const out = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;

    expect(out.plan).toBe("quick");
    expect((out.machine as { nats_server: string }).nats_server).toBe(natsServerVersion());
    for (const core of ["route", "select"]) {
      const c = out[core] as { collectors: number; p50_ns: number; p99_ns: number };
      expect(c.collectors).toBe(1000);
      expect(c.p50_ns).toBeGreaterThan(0);
      expect(c.p99_ns).toBeGreaterThanOrEqual(c.p50_ns);
    }
    expectSane(out.floor as Figures, ["requester", "responder", "nats_server"]);
    const e2e = out.e2e as Figures & { fanout4: { p50_us: number } };
    expectSane(e2e, ["coordinator", "collector", "nats_server"]);
    expect(e2e.fanout4.p50_us).toBeGreaterThan(0);

    const peers = out.peers as Record<string, Figures & { library: string; vs_floor: object }>;
    // The durable path sits in the table beside the peers: our own, through JetStream.
    expect(Object.keys(peers)).toEqual(["durable", ...PEERS]);
    expectSane(peers.durable, ["coordinator", "collector", "nats_server"]);
    for (const name of PEERS) {
      expectSane(peers[name], ["caller", "worker", "nats_server"]);
      expect(peers[name]!.vs_floor).toMatchObject({ pipelined: expect.any(Number) as number });
    }
    expect(peers.micro!.library).toMatch(/^@nats-io\/services \d/);
    expect(peers.moleculer_json!.library).toMatch(
      /^moleculer 0\.14\.\d+ \(nats 2\.\d+\.\d+\), serializer JSON/,
    );
    expect(peers.moleculer_msgpack!.library).toMatch(/serializer MsgPack/);

    // The performance targets are judged against Moleculer (JSON) measured in the same run.
    const ratios = out.ratios as Record<string, number>;
    expect(ratios.pipelined_vs_moleculer).toBeCloseTo(
      e2e.pipelined.per_s / peers.moleculer_json!.pipelined.per_s,
      2,
    );
    expect(ratios.fanout4_vs_sequential).toBeGreaterThan(0);
    expect(ratios.cpu_sum_vs_moleculer).toBeGreaterThan(0);
    const targets = out.targets as Record<string, { target: string; met: boolean | undefined }>;
    for (const [name, target] of [
      ["pipelined_vs_moleculer", ">= 1.3"],
      ["pipelined_vs_floor", ">= 0.5"],
      ["cpu_sum_vs_moleculer", "<= 0.75"],
      ["p50_minus_floor_us", "<= 40"],
      ["fanout4_vs_sequential", "<= 2.5"],
      ["route_p99_ns", "<= 2000"],
      ["select_p99_ns", "<= 2000"],
    ] as const) {
      expect(targets[name], name).toMatchObject({ target, met: expect.any(Boolean) as boolean });
    }

    // Every path in every round, alternating: the medians come from these.
    const rounds = out.rounds as Record<string, Figures>[];
    expect(rounds).toHaveLength(1);
    expect(Object.keys(rounds[0]!)).toEqual(["floor", "e2e", "durable", ...PEERS]);

    const rss = out.rss as { tasks: number; start_mb: number; end_mb: number };
    expect(rss.tasks).toBe(5000);
    expect(rss.start_mb).toBeGreaterThan(0);

    // The table names each peer beside the floor and e2e.
    const table = run.stdout();
    for (const label of [
      "floor (plain NATS)",
      "e2e (collector-mesh)",
      "micro (@nats-io/services)",
      "moleculer JSON",
      "moleculer MsgPack",
    ])
      expect(table).toContain(label);

    // Children stopped with the run: one per answering side, and nats-server.
    const pids = loggedPids(run.stderr());
    expect([...pids.peers.keys()].sort()).toEqual(
      ["durable", "e2e", "fanout4", "floor", ...PEERS].sort(),
    );
    expect(pids.natsServer).toBeDefined();
    for (const pid of [...pids.peers.values(), pids.natsServer!]) expect(alive(pid)).toBe(false);
  }, 120_000);

  it.concurrent(
    "bench - SIGTERM mid-run stops every peer process and nats-server",
    async () => {
      const run = runBench(["--quick", "--only", "micro,moleculer"]);
      await until(() => /round 1\/1/.test(run.stderr()), 60_000, "the first round");
      const pids = loggedPids(run.stderr());
      const all = [...pids.peers.values(), pids.natsServer!];
      expect(pids.peers.size).toBe(3);
      for (const pid of all) expect(alive(pid)).toBe(true);

      run.child.kill("SIGTERM");
      const { code } = await run.exited;
      expect(code).toBe(128 + 15);
      for (const pid of all) expect(alive(pid)).toBe(false);
    },
    120_000,
  );

  it.concurrent(
    "bench - a harness killed with SIGKILL leaves no peer process running",
    async () => {
      const run = runBench(["--quick", "--only", "micro,moleculer"]);
      await until(() => /round 1\/1/.test(run.stderr()), 60_000, "the first round");
      const pids = loggedPids(run.stderr());
      const peerPids = [...pids.peers.values()];
      expect(peerPids).toHaveLength(3);
      // nats-server is started by src/server/nats-server.ts, which does not watch its parent: this
      // test stops it and removes its directory itself.
      const ns = pids.natsServer!;
      const conf = readFileSync(`/proc/${ns}/cmdline`, "utf8").split("\0")[2]!;
      try {
        run.child.kill("SIGKILL");
        await run.exited;
        await until(() => peerPids.every((pid) => !alive(pid)), 15_000, "the peers to exit");
      } finally {
        for (const pid of [...peerPids, ns]) if (alive(pid)) process.kill(pid, "SIGKILL");
        await until(() => !alive(ns), 5_000, "nats-server to exit");
        rmSync(dirname(conf), { recursive: true, force: true });
      }
    },
    120_000,
  );
});
