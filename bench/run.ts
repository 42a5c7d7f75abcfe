/**
 * `npm run bench`: starts its own nats-server, measures the cores (route, select), the NATS floor,
 * the coordinated path end to end and peers (a NATS micro service, Moleculer) on the same server
 * in the same layout, soaks memory, and prints a table. See BENCHMARKS.md.
 *
 *   npm run bench [-- --json] [--full | --quick] [--layout child|same] [--only a,b]
 *   npm run bench -- --only fleet --collectors 10000 [--sims 4]
 *
 * --json   the last stdout line is one JSON object with every figure
 * --full   longer runs and the memory soak over 10⁶ tasks (default: 10⁵)
 * --quick  a few seconds in all: checks that the harness works, figures are not meaningful
 * --layout where the answering sides (echo, collectors, peers' workers) run: a child process
 *          (default) or here; for fleet, where the coordinator runs: `collector-mesh
 *          coordinator` from the build in a child (default; run `npm run build` first) or here
 * --only   phases to run: route, select, floor, e2e, durable, micro, moleculer, fanout4, rss
 *          (default all of these); only when named: flood (valid latency under a hostile flood),
 *          fleet (--collectors N in --sims K child processes)
 */
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { connect } from "@nats-io/transport-node";
import { NatsServer, natsServerVersion } from "../src/server/nats-server.js";
import { SourceCaps } from "../subjects/index.js";
import { E2eClient } from "./e2e.js";
import { FLOOR_SUBJECT, FloorRequester } from "./floor.js";
import { MICRO_SUBJECT, MicroCaller, servicesVersion } from "./micro.js";
import { Held, interruptedBy, releaseOnExit, signalExitCode } from "./held.js";
import { parseArgs, type Args, type Phase } from "./plan.js";
import { startPeer, type Peer, type PeerSpec } from "./responders.js";
import { measureRounds, warmUp, type PathFigures, type RoundTripPath } from "./rounds.js";
import { soak } from "./rss.js";
import { CpuMeter, pipelined, round1, round3, sequential } from "./stats.js";
import { printTable, type PeerFigures } from "./table.js";
import { addRatios, targets } from "./targets.js";

const IN_FLIGHT = 64;
const PAYLOAD_BYTES = 256;
const COLLECTORS = 1000;
/** Capability sets of the two collector groups, so each phase routes only to its own. */
const E2E_CAPS = SourceCaps.PROCESS;
const FANOUT_CAPS = SourceCaps.NETWORK;
const COLLECTOR_MAX_CONCURRENCY = 128;

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

  const natsPhases: Phase[] = ["floor", "e2e", "durable", "micro", "moleculer", "fanout4", "rss"];
  if (natsPhases.some((p) => only.has(p)) || only.has("flood")) {
    const ns = await NatsServer.start({ jetstream: true });
    log(
      `nats-server ${String((out.machine as { nats_server: string }).nats_server)}: pid ${ns.pid}`,
    );
    const held = new Held(ns);
    const unhook = releaseOnExit(held, log);
    try {
      if (only.has("flood")) {
        const { runFloodChild } = await import("./flood-run.js");
        const flood = await runFloodChild(held.ns.url, plan);
        out.flood = flood;
        log(`flood: ${JSON.stringify(flood)}`);
      }
      if (natsPhases.some((p) => only.has(p))) await measureNats(args, out, held);
    } finally {
      await held.release();
      unhook();
    }
  }

  if (only.has("fleet")) {
    const ns = await NatsServer.start({ jetstream: true });
    log(`fleet: nats-server pid ${ns.pid}`);
    const held = new Held(ns);
    const unhook = releaseOnExit(held, log);
    const { benchFleet } = await import("./fleet.js");
    try {
      const quick = plan.name === "quick";
      out.fleet = await benchFleet(
        held,
        {
          collectors: args.collectors,
          sims: args.sims,
          idleMs: quick ? 3_000 : 20_000,
          roundMs: quick ? 1_000 : 3_000,
          rounds: quick ? 1 : 3,
          layout,
        },
        log,
      );
    } finally {
      await held.release();
      unhook();
    }
  }

  addRatios(out);
  out.load_end = loads();
  out.seconds = round1((performance.now() - startedAt) / 1000);
  out.targets = targets(out);
  printTable(out);
  if (args.json) process.stdout.write(JSON.stringify(out) + "\n");
}

/** Starts the answering sides together (each its own child by default); all or none. */
async function startPeers(
  held: Held,
  specs: [string, PeerSpec][],
  layout: Args["layout"],
): Promise<Map<string, Peer>> {
  const started = await held.settle(
    specs.map(([name, spec]) =>
      startPeer(held.ns.url, spec, layout).then((peer) => ({ name, peer })),
    ),
    ({ name, peer }) => {
      held.peers.push(peer);
      log(`peer ${name}: pid ${peer.pid}`);
    },
  );
  return new Map(started.map(({ name, peer }) => [name, peer]));
}

const moleculerPaths = ["moleculer_json", "moleculer_msgpack"] as const;

async function measureNats(args: Args, out: Record<string, unknown>, held: Held): Promise<void> {
  const { plan, layout, only } = args;
  const ns = held.ns;
  const payload = new Uint8Array(PAYLOAD_BYTES);
  for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
  // Moleculer's params are an object: the same 256 bytes as a string of letters (a JSON string
  // with nothing to escape, a msgpack str).
  const text = Array.from(payload, (b) => String.fromCharCode(97 + (b % 26))).join("");
  // One connection in this process for the requesting side of floor, e2e and micro alike.
  const nc = await connect({ servers: ns.url, name: "bench-requester" });
  held.conns.push(nc);

  const wantE2e = only.has("e2e") || only.has("rss");
  const e2ePrefix = "bench_e2e";
  const specs: [string, PeerSpec][] = [];
  if (only.has("floor")) specs.push(["floor", { kind: "echo", subject: FLOOR_SUBJECT }]);
  if (wantE2e) {
    const collectors = {
      prefix: e2ePrefix,
      ids: ["echo-0"],
      caps: E2E_CAPS,
      maxConcurrency: COLLECTOR_MAX_CONCURRENCY,
    };
    specs.push(["e2e", { kind: "collectors", collectors }]);
  }
  const durablePrefix = "bench_dur";
  if (only.has("durable")) {
    const collectors = {
      prefix: durablePrefix,
      ids: ["durable-0"],
      caps: E2E_CAPS,
      maxConcurrency: COLLECTOR_MAX_CONCURRENCY,
    };
    specs.push(["durable", { kind: "collectors", collectors }]);
  }
  if (only.has("micro")) specs.push(["micro", { kind: "micro", subject: MICRO_SUBJECT }]);
  const molSpec = (name: (typeof moleculerPaths)[number]) =>
    ({
      namespace: `bench-${name.replace("_", "-")}`,
      serializer: name === "moleculer_json" ? "JSON" : "MsgPack",
    }) as const;
  if (only.has("moleculer"))
    for (const name of moleculerPaths)
      specs.push([name, { kind: "moleculer", moleculer: molSpec(name) }]);
  const peerOf = await startPeers(held, specs, layout);

  const meter = (here: string, there: string, name: string): CpuMeter => {
    const pid = peerOf.get(name)?.pid ?? -1;
    return new CpuMeter(
      pid === process.pid
        ? { [`${here}+${there}`]: process.pid, nats_server: ns.pid ?? -1 }
        : { [here]: process.pid, [there]: pid, nats_server: ns.pid ?? -1 },
    );
  };
  const paths: RoundTripPath[] = [];
  const failures: (() => number)[] = [];
  const peers: Record<string, PeerFigures> = {};
  const peerInfo: Record<string, { label: string; library: string }> = {};

  if (only.has("floor")) {
    const requester = new FloorRequester(nc, payload);
    await nc.flush();
    paths.push({
      name: "floor",
      op: requester.request,
      meter: meter("requester", "responder", "floor"),
    });
  }
  let client: E2eClient | undefined;
  if (wantE2e) {
    const c = await E2eClient.start({ nc, prefix: e2ePrefix, caps: E2E_CAPS, payload });
    held.stops.push(() => c.stop());
    await c.waitForCollectors(1);
    client = c;
    failures.push(() => c.failures);
    if (only.has("e2e"))
      paths.push({ name: "e2e", op: c.one, meter: meter("coordinator", "collector", "e2e") });
  }
  if (only.has("durable")) {
    // The same submit, stored first: JetStream holds the submission, the results and the verdict.
    const d = await E2eClient.start({
      nc,
      prefix: durablePrefix,
      caps: E2E_CAPS,
      payload,
      durable: true,
    });
    held.stops.push(() => d.stop());
    await d.waitForCollectors(1);
    failures.push(() => d.failures);
    paths.push({ name: "durable", op: d.one, meter: meter("coordinator", "collector", "durable") });
    peerInfo.durable = {
      label: "collector-mesh durable",
      library: "the coordinated path through the submissions and results streams",
    };
  }
  if (only.has("micro")) {
    const micro = new MicroCaller(nc, MICRO_SUBJECT, payload);
    failures.push(() => micro.failures);
    paths.push({ name: "micro", op: micro.request, meter: meter("caller", "worker", "micro") });
    peerInfo.micro = {
      label: "micro (@nats-io/services)",
      library: `@nats-io/services ${servicesVersion()}, nc.request()`,
    };
  }
  if (only.has("moleculer")) {
    const { MoleculerCaller, moleculerVersions } = await import("./moleculer.js");
    const v = moleculerVersions();
    // Started together: each waits for its worker's service (Moleculer checks once a second).
    const callers = await held.settle(
      moleculerPaths.map((name) => MoleculerCaller.start(ns.url, molSpec(name), text)),
      (caller) => held.stops.push(() => caller.stop()),
    );
    moleculerPaths.forEach((name, i) => {
      const caller = callers[i]!;
      const serializer = molSpec(name).serializer;
      failures.push(() => caller.failures);
      paths.push({ name, op: caller.call, meter: meter("caller", "worker", name) });
      peerInfo[name] = {
        label: `moleculer ${serializer}`,
        library: `moleculer ${v.moleculer} (nats ${v.nats}), serializer ${serializer}, RoundRobin`,
      };
    });
  }

  // Unmeasured load first, so that V8 has optimized every path (on a busy 2-core machine its
  // background compiler gets little time, and a cold path measures the JIT, not the code).
  await warmUp(paths, IN_FLIGHT, plan.jitWarmupMs);
  if (client && !only.has("e2e")) await pipelined(client.one, IN_FLIGHT, plan.jitWarmupMs, 0);

  // The soak runs after the warm-up load and before the rounds: its first tenth then starts from
  // a heap at its working size, so growth between the first and last tenth is the soak's own.
  if (client && only.has("rss")) {
    log(`rss soak: ${plan.soakTasks} tasks, ${IN_FLIGHT} in flight`);
    const pid = peerOf.get("e2e")?.pid;
    const others: Record<string, number> =
      pid !== undefined && pid !== process.pid ? { collector: pid } : {};
    const r = await soak(client.one, plan.soakTasks, IN_FLIGHT, others);
    r.after_warmup_ms = plan.jitWarmupMs;
    out.rss = r;
  }

  const { rounds, medians } = await measureRounds(paths, plan, IN_FLIGHT, log);
  if (paths.length > 0) out.rounds = rounds;
  const floor = medians.floor;
  for (const [name, info] of Object.entries(peerInfo)) {
    const f = medians[name]!;
    peers[name] = { ...info, ...f, vs_floor: versusFloor(f, floor) };
  }

  let fanout4: PathFigures["sequential"] | undefined;
  if (only.has("fanout4")) {
    const prefix = "bench_fan";
    const ids = ["fan-0", "fan-1", "fan-2", "fan-3"];
    const collectors = {
      prefix,
      ids,
      caps: FANOUT_CAPS,
      maxConcurrency: COLLECTOR_MAX_CONCURRENCY,
    };
    await startPeers(held, [["fanout4", { kind: "collectors", collectors }]], layout);
    const fan = await E2eClient.start({ nc, prefix, caps: FANOUT_CAPS, payload });
    try {
      await fan.waitForCollectors(ids.length);
      log(`e2e fanout4 sequential: ${plan.fanoutCount} submits to 4 instances`);
      fanout4 = await sequential(fan.all, plan.fanoutCount, Math.min(500, plan.fanoutCount));
      if (fan.failures > 0) throw new Error(`${fan.failures} fan-out submits did not complete`);
    } finally {
      await fan.stop();
    }
  }

  const failed = failures.reduce((n, f) => n + f(), 0);
  if (failed > 0) throw new Error(`${failed} round trips did not complete with their payload`);
  if (floor) out.floor = floor;
  const e2e: PathFigures & { fanout4?: PathFigures["sequential"] } = { ...medians.e2e };
  if (fanout4) e2e.fanout4 = fanout4;
  if (Object.keys(e2e).length > 0) out.e2e = e2e;
  if (Object.keys(peers).length > 0) out.peers = peers;
}

function versusFloor(f: PathFigures, floor: PathFigures | undefined): PeerFigures["vs_floor"] {
  if (!floor?.pipelined || !floor.sequential || !f.pipelined || !f.sequential) return undefined;
  return {
    pipelined: round3(f.pipelined.per_s / floor.pipelined.per_s),
    p50_minus_us: round1(f.sequential.p50_us - floor.sequential.p50_us),
  };
}

main().catch((err: unknown) => {
  const sig = interruptedBy();
  if (sig) process.exit(signalExitCode(sig));
  console.error(err);
  process.exit(1);
});
