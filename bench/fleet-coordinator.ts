/**
 * The fleet benchmark's coordinator, where `--layout` puts it: `child` (the default) runs
 * `collector-mesh coordinator` from the build (it runs `npm run build` first) in a process of its own, as
 * it is deployed, and submits from this process through MeshClients, as a submitter would; `same`
 * runs a Coordinator in this process and submits on it (its durable client, the submitters'
 * results and the harness then share its heap). Either way what the benchmark judges comes over
 * NATS: collector and failover events, and `api.stats`.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/nats-core";
import { MeshClient } from "../src/client/mesh-client.js";
import { Coordinator, DEFAULT_ADVERT_TTL_MS } from "../src/coordinator/index.js";
import type { SubmitOptions, TaskSpec } from "../src/coordinator/types.js";
import { decode, decodeRaw } from "../src/codec.js";
import {
  CollectorEvent,
  FailoverEvent,
  MeshHeaders,
  StatsReply,
  Subjects,
  type AggregatedResult,
  type Result,
} from "../subjects/index.js";
import { stopChild } from "./child-exit.js";
import { deployedNodeOptions } from "./deployed.js";
import type { Held } from "./held.js";
import { rssMb, sleep } from "./stats.js";

const CLI = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const COORDINATOR_ID = "fleet-coord";

export interface FleetCoordinator {
  readonly layout: "child" | "same";
  /** The child's NODE_OPTIONS: deploy/Dockerfile's, unless FLEET_NODE_OPTIONS says otherwise. */
  readonly nodeOptions?: string;
  readonly pid: number;
  readonly durable: boolean;
  readonly advertTtlMs: number;
  submit(spec: TaskSpec, opts: SubmitOptions): Promise<AggregatedResult>;
  submitStream(spec: TaskSpec, opts: SubmitOptions): Promise<AsyncIterable<Result>>;
  /** Collectors routable, as the coordinator's stats say. */
  routable(): Promise<number>;
  stats(): Promise<StatsReply>;
  /** The coordinator process's resident set, MiB. */
  rssMb(): number;
  /** Its largest resident set so far (the kernel's high-water mark), MiB. */
  peakRssMb(): number;
}

/** Collectors judged stale (marked unavailable) or failed over, by id, from the mesh's events. */
export class Judged {
  readonly stale = new Set<string>();
  readonly failedOver = new Set<string>();
  /** Collectors whose `joined` event was seen (discovery, without asking the coordinator). */
  readonly joined = new Set<string>();

  static async follow(nc: NatsConnection, s: Subjects): Promise<Judged> {
    const j = new Judged();
    nc.subscribe(s.collectorEvents(), {
      callback: (err, msg) => {
        if (err) return;
        const e = decode(CollectorEvent, msg.data);
        if (e.kind === "stale") j.stale.add(e.collectorId);
        else if (e.kind === "joined") j.joined.add(e.collectorId);
      },
    });
    nc.subscribe(s.failoverEvent(), {
      callback: (err, msg) => {
        if (!err) j.failedOver.add(decode(FailoverEvent, msg.data).failedCollectorId);
      },
    });
    await nc.flush();
    return j;
  }

  count(except: ReadonlySet<string> = new Set()): number {
    const all = new Set([...this.stale, ...this.failedOver]);
    let n = 0;
    for (const id of all) if (!except.has(id)) n++;
    return n;
  }
}

async function statsOf(nc: NatsConnection, s: Subjects): Promise<StatsReply> {
  const m = await nc.request(s.api("stats"), undefined, { timeout: 10_000 });
  const code = m.headers?.get(MeshHeaders.ErrorCode);
  if (code) throw new Error(`api.stats: ${code} ${JSON.stringify(decodeRaw(m.data))}`);
  return decode(StatsReply, m.data);
}

function routableIn(stats: StatsReply): number {
  const n = (stats.routing as { total?: unknown }).total;
  return typeof n === "number" ? n : 0;
}

export async function startFleetCoordinator(
  held: Held,
  nc: NatsConnection,
  prefix: string,
  layout: "child" | "same",
): Promise<FleetCoordinator> {
  const s = new Subjects(prefix);
  return layout === "same"
    ? await inProcess(held, nc, prefix, s)
    : await child(held, nc, prefix, s);
}

async function inProcess(
  held: Held,
  nc: NatsConnection,
  prefix: string,
  s: Subjects,
): Promise<FleetCoordinator> {
  const { connect } = await import("@nats-io/transport-node");
  const own = await connect({ servers: held.ns.url, name: "fleet-coordinator" });
  held.conns.push(own);
  const c = new Coordinator({ nc: own, id: COORDINATOR_ID, prefix });
  await c.start();
  held.stops.push(() => c.stop());
  return {
    layout: "same",
    pid: process.pid,
    durable: c.durable,
    advertTtlMs: c.opts.advertTtlMs,
    submit: (spec, opts) => c.submit(spec, opts),
    submitStream: (spec, opts) => Promise.resolve(c.submitStream(spec, opts)),
    routable: () => Promise.resolve(c.router.size),
    stats: () => statsOf(nc, s),
    rssMb,
    peakRssMb: () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
  };
}

async function child(
  held: Held,
  nc: NatsConnection,
  prefix: string,
  s: Subjects,
): Promise<FleetCoordinator> {
  build();
  const nodeOptions = deployedNodeOptions("FLEET_NODE_OPTIONS");
  const proc = spawn(
    process.execPath,
    [CLI, "coordinator", "--nats-url", held.ns.url, "--prefix", prefix, "--id", COORDINATOR_ID],
    { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, NODE_OPTIONS: nodeOptions } },
  );
  let failed: Error | undefined;
  proc.once("error", (err) => (failed = err));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  // The child does not watch this process: it goes with it, however this one ends.
  const reap = () => proc.kill("SIGKILL");
  process.once("exit", reap);
  held.stops.push(async () => {
    await stopChild(proc, exited, 15_000);
    process.off("exit", reap);
  });
  const pid = proc.pid ?? -1;
  for (const t0 = Date.now(); ; await sleep(100)) {
    if (failed !== undefined) throw failed;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`coordinator exited (${proc.exitCode ?? proc.signalCode})`);
    }
    const up = await statsOf(nc, s).catch(() => undefined);
    if (up !== undefined) break;
    if (Date.now() - t0 > 30_000) throw new Error("coordinator did not answer api.stats in 30 s");
  }
  const durable = new MeshClient(nc, { prefix, owner: "fleet-bench" });
  const memory = new MeshClient(nc, { prefix, owner: "fleet-bench", durable: false });
  held.stops.push(
    () => durable.close(),
    () => memory.close(),
  );
  const isDurable = await durable.durable();
  const pick = (opts: SubmitOptions) => (opts.durable === false || !isDurable ? memory : durable);
  return {
    layout: "child",
    nodeOptions,
    pid,
    durable: isDurable,
    advertTtlMs: DEFAULT_ADVERT_TTL_MS,
    submit: (spec, opts) => pick(opts).submit(spec, opts),
    submitStream: (spec, opts) => pick(opts).submitStream(spec, opts),
    routable: async () => routableIn(await statsOf(nc, s)),
    stats: () => statsOf(nc, s),
    rssMb: () => procStatusMb(pid, "VmRSS"),
    peakRssMb: () => procStatusMb(pid, "VmHWM"),
  };
}

/** Compiles src/ to dist/ (`npm run build`), so that the child runs this checkout's code. */
function build(): void {
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (r.status !== 0 || !existsSync(CLI)) throw new Error("npm run build failed");
}

/** A size line of /proc/<pid>/status (VmRSS, VmHWM), MiB; 0 once the process is gone. */
function procStatusMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : 0;
  } catch {
    return 0;
  }
}
