/**
 * The fleet phase (`npm run bench -- --only fleet --collectors N`): one coordinator (durable by
 * default, as the server has JetStream; in a process of its own as deployed, or with `--layout
 * same` in this one: bench/fleet-coordinator.ts), N simulated collectors spread over a few child
 * processes (bench/fleet-sim.ts, one connection each). Measures discovery, idle CPU and the
 * server's cost per collector, fan-outs to all N (durable and in memory, alternating), `one`
 * throughput with N candidates against 10 (alternating rounds), collectors wrongly judged stale or
 * failed over during and after all that, coordinator RSS, and a SIGKILL of one simulator during a
 * fan-out: its parts reported lost, the rest complete; a hunt over all N (bench/fleet-hunt.ts).
 * See BENCHMARKS.md, "Fleet".
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { ErrorCode, SourceCaps, Subjects } from "../subjects/index.js";
import type { Held } from "./held.js";
import { startFleetCoordinator, Judged, type FleetCoordinator } from "./fleet-coordinator.js";
import { bucketFigures, CpuWindow, spawnSim, varz, type Sim } from "./fleet-procs.js";
import { median, pipelined, quantile, round1, sleep } from "./stats.js";

const PREFIX = "fleet";
const CAPS = SourceCaps.PROCESS;
/** The ten candidates of the throughput comparison also advertise this. */
const FEW_CAPS = SourceCaps.FILESYSTEM;
const FEW = 10;
const MAX_CONCURRENCY = 16;
const FANOUTS = 10;
const IN_FLIGHT = 64;
const PAYLOAD = new Uint8Array(64).fill(7);

export interface FleetOptions {
  collectors: number;
  sims: number;
  /** Idle window, ms (and the wait after the fan-outs is the advert TTL plus this). */
  idleMs: number;
  /** Length of each `one` throughput round, ms. */
  roundMs: number;
  rounds: number;
  /** Where the coordinator runs (bench/fleet-coordinator.ts). */
  layout: "child" | "same";
}

type Log = (msg: string) => void;

export async function benchFleet(
  held: Held,
  o: FleetOptions,
  log: Log,
): Promise<Record<string, unknown>> {
  const ns = held.ns;
  const out: Record<string, unknown> = { collectors: o.collectors, simulators: o.sims };
  const { connect } = await import("@nats-io/transport-node");
  const nc: NatsConnection = await connect({ servers: ns.url, name: "fleet-bench" });
  held.conns.push(nc);
  const judged = await Judged.follow(nc, new Subjects(PREFIX));
  const coordinator = await startFleetCoordinator(held, nc, PREFIX, o.layout);
  out.coordinator_layout = coordinator.layout;
  if (coordinator.nodeOptions !== undefined) out.coordinator_node_options = coordinator.nodeOptions;
  out.durable_default = coordinator.durable;
  let rssPeak = 0;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, coordinator.rssMb())), 250);
  rssTimer.unref();
  held.stops.push(() => {
    clearInterval(rssTimer);
    return Promise.resolve();
  });

  // Ids interleaved over the simulators, so a fan-out (sent in id order) reaches all at once.
  const ids = Array.from({ length: o.collectors }, (_, i) => `c${String(i).padStart(6, "0")}`);
  const few = new Set(ids.filter((_, i) => i % Math.floor(o.collectors / FEW) === 0).slice(0, FEW));
  const sims: Sim[] = [];
  log(`fleet: ${o.collectors} collectors in ${o.sims} simulators`);
  const spawnedAt = Date.now();
  for (let k = 0; k < o.sims; k++) {
    const mine = ids.filter((_, i) => i % o.sims === k);
    const spec = {
      prefix: PREFIX,
      ids: mine,
      caps: CAPS,
      extraIds: mine.filter((id) => few.has(id)),
      extraCaps: FEW_CAPS,
      maxConcurrency: MAX_CONCURRENCY,
    };
    const sim = spawnSim(ns.url, spec);
    sims.push(sim);
    held.stops.push(() => sim.stop());
  }
  const firstStart = Math.min(...(await Promise.all(sims.map((s) => s.startedAt))));
  // Seen by the `joined` events (asking a child for its stats costs it a reply over the fleet),
  // confirmed by its stats, which are asked anyway once a second in case an event was missed.
  for (let asked = Date.now(); ; await sleep(10)) {
    const now = Date.now();
    if (judged.joined.size >= o.collectors || now - asked >= 1000) {
      asked = now;
      const routable = await coordinator.routable();
      if (routable >= o.collectors) break;
      if (now - firstStart > 180_000) throw new Error(`discovered ${routable} in 180 s`);
    }
  }
  const seenAll = Date.now();
  const lastReady = Math.max(...(await Promise.all(sims.map((s) => s.readyAt))));
  out.discovery = {
    from_first_collector_ms: seenAll - firstStart,
    from_spawn_ms: seenAll - spawnedAt,
    simulators_ready_ms: lastReady - firstStart,
  };
  log(`fleet: discovered in ${seenAll - firstStart} ms`);

  const pids: Record<string, number> = { coordinator: coordinator.pid, nats_server: ns.pid ?? -1 };
  sims.forEach((s, k) => (pids[`sim${k}`] = s.pid));
  const idle = async (label: string): Promise<Record<string, unknown>> => {
    const cpu = new CpuWindow(pids);
    const b0 = await bucketFigures(nc, PREFIX);
    const v0 = await varz(ns);
    const t0 = performance.now();
    cpu.start();
    await sleep(o.idleMs);
    const shares = cpu.end();
    const s = (performance.now() - t0) / 1000;
    const b1 = await bucketFigures(nc, PREFIX);
    const v1 = await varz(ns);
    const n = o.collectors;
    log(`fleet: idle ${label}: ${JSON.stringify(shares)}`);
    return {
      seconds: round1(s),
      cpu_percent: shares,
      kv_puts_per_s: round1((b1.puts - b0.puts) / s),
      kv_puts_per_collector_per_s: Math.round(((b1.puts - b0.puts) / s / n) * 10_000) / 10_000,
      bytes_per_advert_stored: b1.bytesPerAdvert,
      server_msgs_per_s: round1((v1.in_msgs - v0.in_msgs + v1.out_msgs - v0.out_msgs) / s),
      server_bytes_per_collector_per_s: round1(
        (v1.in_bytes - v0.in_bytes + v1.out_bytes - v0.out_bytes) / s / n,
      ),
    };
  };
  // Let the start-up puts and first refreshes pass: idle means the steady state.
  await sleep(Math.min(12_000, o.idleMs));
  out.idle = await idle("after discovery");
  out.rss_idle_mb = coordinator.rssMb();
  out.operator = await operatorViews(nc, o.collectors);

  const spec = { requiredCapabilities: CAPS, payload: PAYLOAD };
  const fanout = async (durable: boolean): Promise<number> => {
    const t0 = performance.now();
    const r = await coordinator.submit(spec, { mode: "all", timeoutMs: 60_000, durable });
    const ms = performance.now() - t0;
    const ok = r.results.filter((x) => x.status === "ok").length;
    if (r.status !== "complete" || ok !== o.collectors) {
      throw new Error(
        `fan-out (durable ${durable}) ended ${r.status} with ${ok} of ${o.collectors} ok`,
      );
    }
    return ms;
  };
  const times: Record<"durable" | "memory", number[]> = { durable: [], memory: [] };
  await fanout(false); // warm-up: V8 and the balancer's pools
  for (let i = 0; i < FANOUTS; i++) {
    for (const durable of coordinator.durable ? [true, false] : [false]) {
      const ms = await fanout(durable);
      times[durable ? "durable" : "memory"].push(ms);
      log(`fleet: fan-out ${i + 1}/${FANOUTS} durable ${durable}: ${Math.round(ms)} ms`);
    }
  }
  const fig = (xs: number[]) => {
    const s = Float64Array.from(xs).sort();
    return {
      runs: xs.length,
      p50_ms: Math.round(median(xs)),
      p99_ms: Math.round(quantile(s, 0.99)),
      max_ms: Math.round(s[s.length - 1] ?? 0),
    };
  };
  out.fanout = {
    memory: fig(times.memory),
    ...(times.durable.length > 0 ? { durable: fig(times.durable) } : {}),
  };
  out.judged_after_fanouts = judged.count();

  const one = (caps: number) => async () => {
    const r = await coordinator.submit(
      { requiredCapabilities: caps, payload: PAYLOAD },
      { durable: false, timeoutMs: 30_000 },
    );
    if (r.status !== "complete") throw new Error(`one task ended ${r.status}`);
  };
  const many: number[] = [];
  const tens: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    many.push((await pipelined(one(CAPS), IN_FLIGHT, o.roundMs, 500)).per_s);
    tens.push((await pipelined(one(CAPS | FEW_CAPS), IN_FLIGHT, o.roundMs, 500)).per_s);
    log(
      `fleet: one round ${r + 1}: ${many[r]}/s with ${o.collectors} candidates, ${tens[r]}/s with ${FEW}`,
    );
  }
  out.one = {
    in_flight: IN_FLIGHT,
    per_s_all_candidates: Math.round(median(many)),
    per_s_ten_candidates: Math.round(median(tens)),
    ratio: Math.round((median(many) / median(tens)) * 1000) / 1000,
    rounds: { all: many, ten: tens },
  };

  // Past one advert TTL after the load: a collector made late by it would be judged by now.
  const ttl = coordinator.advertTtlMs;
  log(
    `fleet: waiting ${Math.round((ttl + o.idleMs) / 1000)} s (TTL + idle window) for late judgements`,
  );
  await sleep(ttl);
  out.idle_after_load = await idle("after the load");
  // The events are the leader's: cross-checked with the coordinator's own counts, in case its
  // lease lapsed under load and a judgement went unpublished.
  const st = await coordinator.stats();
  const counted = (o: unknown, k: string) => Number((o as Record<string, unknown>)[k] ?? 0);
  out.judged_by_stats = {
    failovers: counted(st.coordinator, "failovers"),
    unavailable: counted(st.routing, "unavailable"),
  };
  out.judged_wrongly = Math.max(
    judged.count(),
    counted(st.coordinator, "failovers") + counted(st.routing, "unavailable"),
  );
  out.liveness = st.coordinator?.liveness;
  out.rss_peak_mb = Math.max(rssPeak, coordinator.peakRssMb());

  const { benchHunt } = await import("./fleet-hunt.js");
  out.hunt = await benchHunt(nc, PREFIX, ids, log);
  out.kill = await killDuringFanout(coordinator, sims[0]!, o.collectors, judged, log);
  out.rss_end_mb = coordinator.rssMb();
  out.rss_peak_mb = Math.max(rssPeak, coordinator.peakRssMb());
  return out;
}

/** What `collector-mesh status` and `stats` read from the coordinator at this size, and how fast. */
async function operatorViews(nc: NatsConnection, n: number): Promise<Record<string, unknown>> {
  const { askCoordinator } = await import("../src/cli/run/status.js");
  const { requestStats } = await import("../src/cli/run/stats.js");
  const s = new Subjects(PREFIX);
  const t0 = performance.now();
  const rows = await askCoordinator(nc, s);
  const t1 = performance.now();
  const stats = await requestStats(nc, s);
  const t2 = performance.now();
  const listed = Object.keys((stats.balancing as { instances?: object }).instances ?? {}).length;
  return {
    status_rows: Array.isArray(rows) ? rows.length : rows,
    status_complete: Array.isArray(rows) && rows.length === n,
    status_ms: Math.round(t1 - t0),
    stats_instances_listed: listed,
    stats_ms: Math.round(t2 - t1),
  };
}

/**
 * SIGKILL of one simulator half a second into a fan-out whose parts each take up to a second on
 * their host: some of its parts have answered, some run, some are not sent yet.
 */
async function killDuringFanout(
  coordinator: FleetCoordinator,
  victim: Sim,
  n: number,
  judged: Judged,
  log: Log,
): Promise<Record<string, unknown>> {
  const killedIds = new Set(victim.ids);
  const t0 = performance.now();
  const it = await coordinator.submitStream(
    { requiredCapabilities: CAPS, payload: { upToMs: 1000 } },
    { mode: "all", timeoutMs: 60_000 },
  );
  let ok = 0;
  let lost = 0;
  let other = 0;
  let lostWrongly = 0;
  let lastLostAt = 0;
  let killedAt: number | undefined;
  let okAtKill = 0;
  const timer = setTimeout(() => {
    victim.kill("SIGKILL");
    killedAt = performance.now();
    okAtKill = ok;
    log(
      `fleet: SIGKILL of simulator ${victim.pid} (${killedIds.size} collectors) after ${ok} results`,
    );
  }, 500);
  for await (const r of it) {
    if (r.status === "ok") ok++;
    else if (r.error?.code === ErrorCode.CollectorLost) {
      lost++;
      lastLostAt = performance.now();
      if (!killedIds.has(r.collectorId)) lostWrongly++;
    } else other++;
  }
  const end = performance.now();
  clearTimeout(timer);
  await victim.exited;
  return {
    killed_collectors: killedIds.size,
    results_before_kill: okAtKill,
    completed_ok: ok,
    lost,
    other_errors: other,
    lost_not_on_victim: lostWrongly,
    last_lost_after_kill_ms:
      killedAt === undefined || lost === 0 ? undefined : Math.round(lastLostAt - killedAt),
    fanout_ms: Math.round(end - t0),
    judged_wrongly: judged.count(killedIds),
  };
}
