/**
 * The bench's flood phase: valid traffic's latency with and without a hostile flood, in the same
 * run. Two collectors (each a child process), a coordinator here (durable, as by default), and valid
 * traffic at a fixed rate on two paths: a durable submitter (MeshClient) and the coordinator's
 * in-memory path. First a baseline window without the flood, then the flood (bench/flood.ts, in
 * a child process as an attacker would be: `messages` at `perSecond` over every inbound subject)
 * with the same valid traffic. Target: valid p99 during the flood within 2× the baseline's.
 * `npm run bench` runs this in its own process (bench/flood-child.ts) with the coordinator's node
 * options as deployed; the collectors and the attacker run with node's defaults.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Coordinator } from "../src/coordinator/index.js";
import { MeshClient } from "../src/client/mesh-client.js";
import { SourceCaps } from "../subjects/index.js";
import type { FloodCounts, FloodTargets } from "./flood.js";
import { killChild, spawnCollector } from "../test/support/nats-server.js";
import { quantile, round1, sleep } from "./stats.js";
import { envWithoutNodeOptions } from "./deployed.js";

export interface FloodOptions {
  messages: number;
  perSecond: number;
  /** Valid submits a second on each path. */
  validPerSecond: number;
  baselineMs: number;
}

export interface PathLatency {
  n: number;
  failed: number;
  p50_ms: number;
  p99_ms: number;
}

export interface FloodFigures {
  messages: number;
  per_second: number;
  seconds: number;
  hostile_mb: number;
  replies: number;
  with_reply: number;
  baseline: Record<string, PathLatency>;
  during: Record<string, PathLatency>;
  /** p99 during the flood over p99 without it, per path (target <= 2). */
  p99_ratio: Record<string, number>;
  collectors_alive: number;
  coordinator: { invalid: number; rejected_not_in_flight: number; failovers: number };
  /** The node options of the process that ran the coordinator and the valid submitters. */
  node_options: string;
}

/** Every process this phase started (collectors, the attacker): stopped if the phase is cut. */
export const spawned = new Set<ChildProcess>();

/** Hostile messages a second, and valid submits a second on each of the two paths. */
export const FLOOD_RATE = 2_000;
export const FLOOD_VALID_RATE = 20;
const PREFIX = "bench_flood";
const IDS = ["flood-0", "flood-1"];
const CAPS = SourceCaps.PROCESS;

/** Fires `submit` `perSecond` times a second until `stop()`, whatever is still in flight. */
function openLoop(submit: (i: number) => Promise<boolean>, perSecond: number) {
  const latencies: number[] = [];
  let failed = 0;
  let running = true;
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    const t0 = performance.now();
    for (let i = 0; running; i++) {
      const due = t0 + (i * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const start = performance.now();
      const p = submit(i).then(
        (ok) => {
          if (ok) latencies.push(performance.now() - start);
          else failed++;
        },
        () => void failed++,
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  })();
  return async (): Promise<PathLatency> => {
    running = false;
    await loop;
    await Promise.all(inFlight);
    const s = Float64Array.from(latencies).sort();
    return {
      n: s.length + failed,
      failed,
      p50_ms: round1(quantile(s, 0.5)),
      p99_ms: round1(quantile(s, 0.99)),
    };
  };
}

function validPaths(coord: Coordinator, client: MeshClient, perSecond: number) {
  const spec = (i: number) => ({ requiredCapabilities: CAPS, payload: i });
  const echoed = (i: number) => (r: { status: string; results: { payload?: unknown }[] }) =>
    r.status === "complete" && (r.results[0]?.payload as { echo?: unknown })?.echo === i;
  const durable = openLoop(
    (i) => client.submit(spec(i), { timeoutMs: 30_000 }).then(echoed(i)),
    perSecond,
  );
  const memory = openLoop(
    (i) => coord.submit(spec(i), { durable: false, timeoutMs: 30_000 }).then(echoed(i)),
    perSecond,
  );
  return async () => ({ durable: await durable(), memory: await memory() });
}

/** The attacker in its own process; resolves with its counts once it has sent everything. */
async function attack(
  url: string,
  t: FloodTargets,
  o: FloodOptions,
): Promise<FloodCounts & { replies: number }> {
  const script = fileURLToPath(new URL("./flood.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      script,
      "--attacker",
      url,
      JSON.stringify(t),
      String(o.messages),
      String(o.perSecond),
    ],
    { stdio: ["ignore", "pipe", "inherit"], env: envWithoutNodeOptions() },
  );
  spawned.add(child);
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  const line = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`flood attacker exited ${code}: ${out}`);
  return JSON.parse(line) as FloodCounts & { replies: number };
}

export async function benchFlood(
  url: string,
  o: FloodOptions,
  log: (msg: string) => void,
): Promise<FloodFigures> {
  // The test collector (its handler answers { echo, by }), plain path on, each its own process.
  const env = envWithoutNodeOptions();
  const children = await Promise.all(
    IDS.map((id) =>
      spawnCollector(url, { id, caps: CAPS, prefix: PREFIX, maxConcurrency: 64 }, env),
    ),
  );
  for (const c of children) spawned.add(c);
  const conns: NatsConnection[] = [];
  const open = async (name: string) => {
    const nc = await connect({ servers: url, name });
    conns.push(nc);
    return nc;
  };
  const coord = new Coordinator({ nc: await open("flood-coordinator"), prefix: PREFIX });
  await coord.start();
  const client = new MeshClient(await open("flood-valid"), { prefix: PREFIX, owner: "valid" });
  try {
    for (let i = 0; coord.router.findCapable(CAPS).length < IDS.length; i++) {
      if (i > 1500) throw new Error("the flood's collectors did not come up");
      await sleep(10);
    }
    // Warm both paths, then the baseline.
    const warm = validPaths(coord, client, o.validPerSecond);
    await sleep(2000);
    await warm();
    log(`flood: baseline, ${o.baselineMs} ms of valid traffic`);
    const base = validPaths(coord, client, o.validPerSecond);
    await sleep(o.baselineMs);
    const baseline = await base();
    log(`flood: ${o.messages} hostile messages at ${o.perSecond}/s with the same valid traffic`);
    const during = validPaths(coord, client, o.validPerSecond);
    const targets: FloodTargets = {
      prefix: PREFIX,
      coordinatorId: coord.id,
      collectorIds: IDS,
      owner: "valid",
    };
    const counts = await attack(url, targets, o);
    const duringFigures = await during();
    const stats = coord.stats();
    const alive = children.filter((c) => c.exitCode === null && c.signalCode === null).length;
    const ratio = (k: "durable" | "memory") =>
      Math.round((duringFigures[k].p99_ms / baseline[k].p99_ms) * 100) / 100;
    return {
      messages: counts.sent,
      per_second: o.perSecond,
      seconds: counts.seconds,
      hostile_mb: round1(counts.bytes / 1024 / 1024),
      replies: counts.replies,
      with_reply: counts.withReply,
      baseline,
      during: duringFigures,
      p99_ratio: { durable: ratio("durable"), memory: ratio("memory") },
      collectors_alive: alive,
      coordinator: {
        invalid: coord.invalidMessages(),
        rejected_not_in_flight: stats.coordinator.rejected["not-in-flight"],
        failovers: stats.coordinator.failovers,
      },
      node_options: process.env.NODE_OPTIONS ?? "",
    };
  } finally {
    await client.close();
    await coord.stop();
    await Promise.allSettled(conns.map((c) => c.close()));
    await Promise.all(children.map((c) => killChild(c, "SIGTERM")));
  }
}
