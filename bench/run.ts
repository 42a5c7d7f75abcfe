/**
 * `npm run bench`: starts its own nats-server, measures the cores (route, select), the NATS floor
 * and the coordinated path end to end, soaks memory, and prints a table. See BENCHMARKS.md.
 *
 *   npm run bench [-- --json] [--full | --quick] [--layout child|same] [--only a,b]
 *
 * --json   the last stdout line is one JSON object with every figure
 * --full   longer runs and the memory soak over 10⁶ tasks (default: 10⁵)
 * --quick  a few seconds in all: checks that the harness works, figures are not meaningful
 * --layout where the echo responder and the collectors run: a child process (default) or here
 * --only   phases to run: route, select, floor, e2e, fanout4, rss (default all)
 */
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { NatsServer, natsServerVersion } from "../src/server/nats-server.js";
import { SourceCaps } from "../subjects/index.js";
import { E2eClient } from "./e2e.js";
import { FLOOR_SUBJECT, FloorRequester } from "./floor.js";
import { startPeer, type Peer } from "./responders.js";
import { soak, type RssResult } from "./rss.js";
import {
  CpuMeter,
  medianLatency,
  medianThroughput,
  pipelined,
  round1,
  round3,
  sequential,
  type Latency,
  type Throughput,
} from "./stats.js";

const PHASES = ["route", "select", "floor", "e2e", "fanout4", "rss"] as const;
type Phase = (typeof PHASES)[number];

interface Plan {
  name: "quick" | "default" | "full";
  /** Rounds of floor and e2e measurements; figures are medians over them. */
  rounds: number;
  /** Unmeasured pipelined load on each path before the first round. */
  jitWarmupMs: number;
  seqCount: number;
  seqWarmup: number;
  pipeMs: number;
  pipeWarmupMs: number;
  fanoutCount: number;
  soakTasks: number;
}

const PLANS: Record<Plan["name"], Plan> = {
  quick: {
    name: "quick",
    rounds: 1,
    jitWarmupMs: 300,
    seqCount: 200,
    seqWarmup: 100,
    pipeMs: 500,
    pipeWarmupMs: 200,
    fanoutCount: 100,
    soakTasks: 5_000,
  },
  default: {
    name: "default",
    rounds: 3,
    jitWarmupMs: 1_500,
    seqCount: 2_000,
    seqWarmup: 300,
    pipeMs: 2_000,
    pipeWarmupMs: 300,
    fanoutCount: 1_000,
    soakTasks: 100_000,
  },
  full: {
    name: "full",
    rounds: 5,
    jitWarmupMs: 3_000,
    seqCount: 5_000,
    seqWarmup: 500,
    pipeMs: 5_000,
    pipeWarmupMs: 500,
    fanoutCount: 5_000,
    soakTasks: 1_000_000,
  },
};

const IN_FLIGHT = 64;
const PAYLOAD_BYTES = 256;
const COLLECTORS = 1000;
/** Capability sets of the two collector groups, so each phase routes only to its own. */
const E2E_CAPS = SourceCaps.PROCESS;
const FANOUT_CAPS = SourceCaps.NETWORK;
const COLLECTOR_MAX_CONCURRENCY = 128;

interface Args {
  json: boolean;
  plan: Plan;
  layout: "child" | "same";
  only: ReadonlySet<Phase>;
}

function parseArgs(argv: string[]): Args {
  let json = false;
  let plan = PLANS.default;
  let layout: Args["layout"] = "child";
  let only = new Set<Phase>(PHASES);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") json = true;
    else if (a === "--full") plan = PLANS.full;
    else if (a === "--quick") plan = PLANS.quick;
    else if (a === "--layout") {
      const v = argv[++i];
      if (v !== "child" && v !== "same") throw new Error("--layout takes child or same");
      layout = v;
    } else if (a === "--only") {
      const names = (argv[++i] ?? "").split(",").filter(Boolean);
      for (const n of names) {
        if (!PHASES.includes(n as Phase)) throw new Error(`--only: unknown phase ${n}`);
      }
      only = new Set(names as Phase[]);
    } else throw new Error(`unknown argument ${a}`);
  }
  return { json, plan, layout, only };
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

function machine(): Record<string, unknown> {
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    mem_gb: round1(totalmem() / 1024 ** 3),
    free_gb: round1(freemem() / 1024 ** 3),
    node: process.version,
    nats_server: natsServerVersion() ?? "unknown",
    platform: `${process.platform} ${process.arch}`,
  };
}

function loads(): number[] {
  return loadavg().map((x) => round3(x));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { plan, layout, only } = args;
  const startedAt = performance.now();
  const out: Record<string, unknown> = {
    plan: plan.name,
    layout,
    machine: machine(),
    load_start: loads(),
  };

  if (only.has("route")) {
    log(`route: ${COLLECTORS} collectors`);
    const { benchRoute } = await import("./route.js");
    const r = await benchRoute(COLLECTORS);
    out.route = { collectors: r.collectors, p50_ns: r.p50_ns, p99_ns: r.p99_ns };
  }
  if (only.has("select")) {
    log(`select: ${COLLECTORS} collectors`);
    const { benchSelect } = await import("./select.js");
    const s = await benchSelect(COLLECTORS);
    out.select = {
      collectors: s.collectors,
      p50_ns: s.p50_ns,
      p99_ns: s.p99_ns,
      strategy: s.strategy,
    };
  }

  const needsNats = ["floor", "e2e", "fanout4", "rss"].some((p) => only.has(p as Phase));
  if (needsNats) {
    const ns = await NatsServer.start({ jetstream: true });
    const peers: Peer[] = [];
    const conns: NatsConnection[] = [];
    try {
      await measureNats(ns, args, out, peers, conns);
    } finally {
      for (const p of peers) await p.stop().catch(() => undefined);
      await Promise.allSettled(conns.map((c) => c.close()));
      await ns.stop();
    }
  }

  addRatios(out);
  out.load_end = loads();
  out.seconds = round1((performance.now() - startedAt) / 1000);
  out.targets = targets(out);
  printTable(out);
  if (args.json) process.stdout.write(JSON.stringify(out) + "\n");
}

async function measureNats(
  ns: NatsServer,
  args: Args,
  out: Record<string, unknown>,
  peers: Peer[],
  conns: NatsConnection[],
): Promise<void> {
  const { plan, layout, only } = args;
  const payload = new Uint8Array(PAYLOAD_BYTES);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  // One connection in this process for the requesting side of floor and e2e alike.
  const nc = await connect({ servers: ns.url, name: "bench-requester" });
  conns.push(nc);

  const floor: { sequential?: Latency; pipelined?: Throughput } = {};
  const e2e: { sequential?: Latency; pipelined?: Throughput; fanout4?: Latency } = {};
  let requester: FloorRequester | undefined;
  let client: E2eClient | undefined;
  let floorMeter: CpuMeter | undefined;
  let e2eMeter: CpuMeter | undefined;
  let e2ePeer: Peer | undefined;
  const meter = (here: string, there: string, peer: Peer): CpuMeter =>
    new CpuMeter(
      peer.pid === process.pid
        ? { [`${here}+${there}`]: process.pid, nats_server: ns.pid ?? -1 }
        : { [here]: process.pid, [there]: peer.pid, nats_server: ns.pid ?? -1 },
    );
  const wantE2e = only.has("e2e") || only.has("rss");

  if (only.has("floor")) {
    const peer = await startPeer(ns.url, { kind: "echo", subject: FLOOR_SUBJECT }, layout);
    peers.push(peer);
    floorMeter = meter("requester", "responder", peer);
    requester = new FloorRequester(nc, payload);
    await nc.flush();
  }
  if (wantE2e) {
    const prefix = "bench_e2e";
    const peer = await startPeer(
      ns.url,
      {
        kind: "collectors",
        collectors: {
          prefix,
          ids: ["echo-0"],
          caps: E2E_CAPS,
          maxConcurrency: COLLECTOR_MAX_CONCURRENCY,
        },
      },
      layout,
    );
    peers.push(peer);
    e2ePeer = peer;
    e2eMeter = meter("coordinator", "collector", peer);
    client = await E2eClient.start({ nc, prefix, caps: E2E_CAPS, payload });
    await client.waitForCollectors(1);
  }

  // Unmeasured load first, so that V8 has optimized both paths (on a busy 2-core machine its
  // background compiler gets little time, and a cold path measures the JIT, not the code).
  const runE2e = client !== undefined && only.has("e2e");
  if (requester) await pipelined(requester.request, IN_FLIGHT, plan.jitWarmupMs, 0);
  if (client) await pipelined(client.one, IN_FLIGHT, plan.jitWarmupMs, 0);

  // The soak runs after the warm-up load and before the rounds: its first tenth then starts from
  // a heap at its working size, so growth between the first and last tenth is the soak's own.
  if (client && only.has("rss")) {
    log(`rss soak: ${plan.soakTasks} tasks, ${IN_FLIGHT} in flight`);
    const others: Record<string, number> =
      e2ePeer && e2ePeer.pid !== process.pid ? { collector: e2ePeer.pid } : {};
    const r = await soak(client.one, plan.soakTasks, IN_FLIGHT, others);
    r.after_warmup_ms = plan.jitWarmupMs;
    out.rss = r;
  }

  // Rounds alternate floor and e2e, so that a change in machine load shows in both; each figure
  // is the median over the rounds.
  const rounds: {
    floor: { sequential?: Latency; pipelined?: Throughput };
    e2e: { sequential?: Latency; pipelined?: Throughput };
  }[] = [];
  for (let r = 1; r <= plan.rounds; r++) {
    const round: (typeof rounds)[number] = { floor: {}, e2e: {} };
    const tag = `round ${r}/${plan.rounds}`;
    if (requester) {
      log(`${tag} floor pipelined: ${IN_FLIGHT} in flight for ${plan.pipeMs} ms`);
      round.floor.pipelined = await pipelined(
        requester.request,
        IN_FLIGHT,
        plan.pipeMs,
        plan.pipeWarmupMs,
        floorMeter,
      );
    }
    if (runE2e) {
      log(`${tag} e2e pipelined: ${IN_FLIGHT} in flight for ${plan.pipeMs} ms`);
      round.e2e.pipelined = await pipelined(
        client!.one,
        IN_FLIGHT,
        plan.pipeMs,
        plan.pipeWarmupMs,
        e2eMeter,
      );
    }
    if (requester) {
      log(`${tag} floor sequential: ${plan.seqCount} round trips`);
      round.floor.sequential = await sequential(
        requester.request,
        plan.seqCount,
        plan.seqWarmup,
        floorMeter,
      );
    }
    if (runE2e) {
      log(`${tag} e2e sequential: ${plan.seqCount} submits`);
      round.e2e.sequential = await sequential(client!.one, plan.seqCount, plan.seqWarmup, e2eMeter);
    }
    rounds.push(round);
  }
  if (requester) {
    floor.pipelined = medianThroughput(rounds.map((r) => r.floor.pipelined!));
    floor.sequential = medianLatency(rounds.map((r) => r.floor.sequential!));
  }
  if (runE2e) {
    e2e.pipelined = medianThroughput(rounds.map((r) => r.e2e.pipelined!));
    e2e.sequential = medianLatency(rounds.map((r) => r.e2e.sequential!));
  }
  if (requester || runE2e) out.rounds = rounds;

  if (only.has("fanout4")) {
    const prefix = "bench_fan";
    const ids = ["fan-0", "fan-1", "fan-2", "fan-3"];
    peers.push(
      await startPeer(
        ns.url,
        {
          kind: "collectors",
          collectors: { prefix, ids, caps: FANOUT_CAPS, maxConcurrency: COLLECTOR_MAX_CONCURRENCY },
        },
        layout,
      ),
    );
    const fan = await E2eClient.start({ nc, prefix, caps: FANOUT_CAPS, payload });
    try {
      await fan.waitForCollectors(ids.length);
      log(`e2e fanout4 sequential: ${plan.fanoutCount} submits to 4 instances`);
      e2e.fanout4 = await sequential(fan.all, plan.fanoutCount, Math.min(500, plan.fanoutCount));
      if (fan.failures > 0) throw new Error(`${fan.failures} fan-out submits did not complete`);
    } finally {
      await fan.stop();
    }
  }

  if (client) {
    if (client.failures > 0) throw new Error(`${client.failures} submits did not complete`);
    await client.stop();
  }
  if (requester) out.floor = floor;
  if (Object.keys(e2e).length > 0) out.e2e = e2e;
}

function addRatios(out: Record<string, unknown>): void {
  const floor = out.floor as { sequential?: Latency; pipelined?: Throughput } | undefined;
  const e2e = out.e2e as { sequential?: Latency; pipelined?: Throughput } | undefined;
  const ratios: Record<string, number> = {};
  if (floor?.pipelined && e2e?.pipelined) {
    ratios.pipelined_vs_floor = round3(e2e.pipelined.per_s / floor.pipelined.per_s);
  }
  if (floor?.sequential && e2e?.sequential) {
    ratios.p50_minus_floor_us = round1(e2e.sequential.p50_us - floor.sequential.p50_us);
  }
  // With every round trip of a pipelined run moving in lockstep batches, throughput is about
  // 1 / (CPU per round trip summed over the processes): this ratio predicts pipelined_vs_floor.
  const cpuSum = (t: Throughput | undefined): number | undefined => {
    const v = Object.values(t?.cpu_us_per_op ?? {});
    return v.length > 0 ? v.reduce((a, b) => a + b, 0) : undefined;
  };
  const fc = cpuSum(floor?.pipelined);
  const ec = cpuSum(e2e?.pipelined);
  if (fc !== undefined && ec !== undefined && ec > 0) {
    ratios.pipelined_cpu_floor_vs_e2e = round3(fc / ec);
  }
  if (Object.keys(ratios).length > 0) out.ratios = ratios;
}

interface Target {
  target: string;
  value: number | undefined;
  met: boolean | undefined;
}

function targets(out: Record<string, unknown>): Record<string, Target> {
  const ratios = out.ratios as { pipelined_vs_floor?: number; p50_minus_floor_us?: number };
  const route = out.route as { p99_ns: number } | undefined;
  const select = out.select as { p99_ns: number } | undefined;
  const rss = out.rss as RssResult | undefined;
  const t = (target: string, value: number | undefined, ok: (v: number) => boolean): Target => ({
    target,
    value,
    met: value === undefined ? undefined : ok(value),
  });
  return {
    pipelined_vs_floor: t(">= 0.7", ratios?.pipelined_vs_floor, (v) => v >= 0.7),
    p50_minus_floor_us: t("<= 30", ratios?.p50_minus_floor_us, (v) => v <= 30),
    route_p99_ns: t("<= 5000", route?.p99_ns, (v) => v <= 5000),
    select_p99_ns: t("<= 5000", select?.p99_ns, (v) => v <= 5000),
    // Judged on the 10⁶-task soak of --full; a shorter soak still includes the heap growing to
    // its working size, so it is reported but not judged.
    rss_growth:
      rss !== undefined && rss.tasks < 1_000_000
        ? { target: "<= 0.10 over 10^6 tasks (--full)", value: rss.growth, met: undefined }
        : t("<= 0.10", rss?.growth, (v) => Math.abs(v) <= 0.1),
  };
}

function printTable(out: Record<string, unknown>): void {
  const rows: [string, string, string][] = [];
  const num = (x: number | undefined, unit: string): string =>
    x === undefined ? "-" : `${x.toLocaleString("en-US")} ${unit}`;
  const route = out.route as { p50_ns: number; p99_ns: number } | undefined;
  const select = out.select as { p50_ns: number; p99_ns: number } | undefined;
  const floor = out.floor as { sequential?: Latency; pipelined?: Throughput } | undefined;
  const e2e = out.e2e as
    { sequential?: Latency; pipelined?: Throughput; fanout4?: Latency } | undefined;
  const ratios = out.ratios as {
    pipelined_vs_floor?: number;
    p50_minus_floor_us?: number;
    pipelined_cpu_floor_vs_e2e?: number;
  };
  const rss = out.rss as RssResult | undefined;
  if (route)
    rows.push([
      `route (${COLLECTORS} collectors)`,
      num(route.p50_ns, "ns"),
      num(route.p99_ns, "ns"),
    ]);
  if (select)
    rows.push([
      `select (${COLLECTORS} collectors)`,
      num(select.p50_ns, "ns"),
      num(select.p99_ns, "ns"),
    ]);
  const cpuRows = (perOp: Record<string, number> | undefined): void => {
    for (const [k, v] of Object.entries(perOp ?? {})) {
      rows.push([`  cpu per round trip: ${k}`, num(v, "µs"), ""]);
    }
  };
  const lat = (name: string, l: Latency | undefined): void => {
    if (!l) return;
    rows.push([name, num(l.p50_us, "µs"), num(l.p99_us, "µs")]);
    cpuRows(l.cpu_us_per_op);
  };
  const thr = (name: string, x: Throughput | undefined): void => {
    if (!x) return;
    rows.push([`${name} (${x.in_flight} in flight)`, num(x.per_s, "/s"), ""]);
    cpuRows(x.cpu_us_per_op);
  };
  lat("floor sequential", floor?.sequential);
  lat("e2e sequential", e2e?.sequential);
  thr("floor pipelined", floor?.pipelined);
  thr("e2e pipelined", e2e?.pipelined);
  lat("e2e fanout4 sequential", e2e?.fanout4);
  if (ratios?.pipelined_vs_floor !== undefined)
    rows.push(["e2e / floor pipelined", String(ratios.pipelined_vs_floor), ""]);
  if (ratios?.pipelined_cpu_floor_vs_e2e !== undefined)
    rows.push(["  floor / e2e cpu per round trip", String(ratios.pipelined_cpu_floor_vs_e2e), ""]);
  if (ratios?.p50_minus_floor_us !== undefined)
    rows.push(["e2e − floor p50", num(ratios.p50_minus_floor_us, "µs"), ""]);
  if (rss) {
    const mb = (g: { start_mb: number; end_mb: number; growth: number }): [string, string] => [
      `${g.start_mb} MB`,
      `${g.end_mb} MB (${(g.growth * 100).toFixed(1)} %)`,
    ];
    rows.push([`rss after ${rss.tasks / 10} / ${rss.tasks} tasks`, ...mb(rss)]);
    const [p0, p1] = [rss.peaks_mb[0] ?? NaN, rss.peaks_mb[rss.peaks_mb.length - 1] ?? NaN];
    rows.push([
      "  peak rss, first / last tenth",
      `${p0} MB`,
      `${p1} MB (${(rss.peak_growth * 100).toFixed(1)} %)`,
    ]);
    for (const [name, g] of Object.entries(rss.others ?? {}))
      rows.push([`  rss of ${name}`, ...mb(g)]);
  }
  const head: [string, string, string] = ["measure", "p50 / value", "p99"];
  const w = [0, 1, 2].map((i) => Math.max(...[head, ...rows].map((r) => r[i]!.length)));
  const line = (r: [string, string, string]): string =>
    `${r[0].padEnd(w[0]!)}  ${r[1].padStart(w[1]!)}  ${r[2].padStart(w[2]!)}`.trimEnd();
  const m = out.machine as { nproc: number; node: string; nats_server: string };
  const print = (s: string): void => void process.stdout.write(s + "\n");
  print(
    `collector-mesh bench (${String(out.plan)}, layout ${String(out.layout)}): ` +
      `${m.nproc} cpus, node ${m.node}, nats-server ${m.nats_server}, ` +
      `load ${(out.load_start as number[]).join(" ")} → ${(out.load_end as number[]).join(" ")}`,
  );
  print(line(head));
  print(w.map((x) => "-".repeat(x)).join("  "));
  for (const r of rows) print(line(r));
  const tg = out.targets as Record<string, Target>;
  const verdicts = Object.entries(tg)
    .filter(([, v]) => v.met !== undefined)
    .map(([k, v]) => `${k} ${v.target}: ${v.met ? "met" : "NOT met"}`);
  if (verdicts.length > 0) print(`targets: ${verdicts.join("; ")}`);
  print(`${String(out.seconds)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
