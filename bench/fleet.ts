/**
 * The fleet phase (`npm run bench -- --only fleet --collectors N`): one coordinator (durable by
 * default, as the server has JetStream) in this process, N simulated collectors spread over a few
 * child processes (bench/fleet-sim.ts, one connection each). Measures discovery, idle CPU and the
 * server's cost per collector, fan-outs to all N (durable and in memory, alternating), `one`
 * throughput with N candidates against 10 (alternating rounds), collectors wrongly judged stale or
 * failed over during and after all that, coordinator RSS, and a SIGKILL of one simulator during a
 * fan-out: its parts reported lost, the rest complete; a hunt over all N (bench/fleet-hunt.ts).
 * See BENCHMARKS.md, "Fleet".
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { Coordinator } from "../src/coordinator/index.js";
import { ErrorCode, SourceCaps } from "../subjects/index.js";
import type { Held } from "./held.js";
import { bucketFigures, CpuWindow, spawnSim, varz, type Sim } from "./fleet-procs.js";
import { median, pipelined, quantile, rssMb, round1, sleep } from "./stats.js";

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
}

type Log = (msg: string) => void;

/** Collectors judged stale (marked unavailable) or failed over, by id. */
class Judged {
  readonly stale = new Set<string>();
  readonly failedOver = new Set<string>();
  count(except: ReadonlySet<string> = new Set()): number {
    const all = new Set([...this.stale, ...this.failedOver]);
    let n = 0;
    for (const id of all) if (!except.has(id)) n++;
    return n;
  }
}

export async function benchFleet(
  held: Held,
  o: FleetOptions,
  log: Log,
): Promise<Record<string, unknown>> {
  const ns = held.ns;
  const out: Record<string, unknown> = { collectors: o.collectors, simulators: o.sims };
  const { connect } = await import("@nats-io/transport-node");
  const nc: NatsConnection = await connect({ servers: ns.url, name: "fleet-coordinator" });
  held.conns.push(nc);
  const coordinator = new Coordinator({ nc, id: "fleet-coord", prefix: PREFIX });
  await coordinator.start();
  held.stops.push(() => coordinator.stop());
  out.durable_default = coordinator.durable;
  const judged = new Judged();
  coordinator.router.follow((u) => {
    if (u.kind === "stale") judged.stale.add(u.id);
  });
  coordinator.onEvent((e) => {
    if (e.kind === "failover") judged.failedOver.add(e.event.failedCollectorId);
  });
  let rssPeak = 0;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb())), 250);
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
  for (;;) {
    if (coordinator.router.size >= o.collectors) break;
    if (Date.now() - firstStart > 180_000)
      throw new Error(`discovered ${coordinator.router.size} in 180 s`);
    await sleep(10);
  }
  const seenAll = Date.now();
  const lastReady = Math.max(...(await Promise.all(sims.map((s) => s.readyAt))));
  out.discovery = {
    from_first_collector_ms: seenAll - firstStart,
    from_spawn_ms: seenAll - spawnedAt,
    simulators_ready_ms: lastReady - firstStart,
  };
  log(`fleet: discovered in ${seenAll - firstStart} ms`);

  const pids: Record<string, number> = { coordinator: process.pid, nats_server: ns.pid ?? -1 };
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
  out.rss_idle_mb = rssMb();

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
  const ttl = coordinator.opts.advertTtlMs;
  log(
    `fleet: waiting ${Math.round((ttl + o.idleMs) / 1000)} s (TTL + idle window) for late judgements`,
  );
  await sleep(ttl);
  out.idle_after_load = await idle("after the load");
  out.judged_wrongly = judged.count();
  out.liveness = coordinator.stats().coordinator.liveness;
  out.rss_peak_mb = rssPeak;

  const { benchHunt } = await import("./fleet-hunt.js");
  out.hunt = await benchHunt(nc, PREFIX, ids, log);
  out.kill = await killDuringFanout(coordinator, sims[0]!, o.collectors, judged, log);
  out.rss_end_mb = rssMb();
  out.rss_peak_mb = Math.max(rssPeak, rssMb());
  return out;
}

/**
 * SIGKILL of one simulator half a second into a fan-out whose parts each take up to a second on
 * their host: some of its parts have answered, some run, some are not sent yet.
 */
async function killDuringFanout(
  coordinator: Coordinator,
  victim: Sim,
  n: number,
  judged: Judged,
  log: Log,
): Promise<Record<string, unknown>> {
  const killedIds = new Set(victim.ids);
  const t0 = performance.now();
  const it = coordinator.submitStream(
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
