/**
 * selectCollector + release latency with n capable collectors, per strategy, as the coordinator
 * calls it:
 *   npx tsx bench/select.ts [n] [--rate tasks/s] [--in-flight k] [--strategy name]
 *                           [--max-concurrency m] [--others k]
 * prints one JSON object: the default strategy's numbers plus `strategies` (one entry each).
 *
 * The balancer is fed as in the coordinator: a real CapabilityRouter on a ManualClock, followed by
 * the balancer (`router.follow((u) => lb.apply(u))`). Every collector advertises the required
 * capabilities (plus REALTIME or KERNEL_LEVEL) and heartbeats every
 * DEFAULT_HEARTBEAT_MS with a new load, which the router tells the balancer (untimed). Tasks
 * arrive every 1/rate s; `inFlight` of them run at once and each completes (release +
 * recordSuccess) when the window moves on. The timed part is one selectCollector plus one release;
 * recordSuccess, heartbeats and the router are not timed. `heartbeats` counts those applied
 * during the measured calls.
 */
import { pathToFileURL } from "node:url";
import { ManualClock, seededRng } from "../src/clock.js";
import { DEFAULT_STRATEGY, LoadBalancer, StrategyName } from "../src/balancer/index.js";
import { DEFAULT_HEARTBEAT_MS } from "../src/router/options.js";
import { CapabilityRouter } from "../src/router/index.js";
import { SourceCaps, type CollectorAdvert } from "../subjects/index.js";

export interface SelectBench {
  collectors: number;
  p50_ns: number;
  p99_ns: number;
}

export interface SelectBenchOptions {
  /** Tasks per second the coordinator places (sets how many calls one router list serves). */
  rate: number;
  /** Tasks running at once; each completes when `inFlight` newer ones have been placed. */
  inFlight: number;
  /** Each collector's maxConcurrency (small values make instances fill up and free again). */
  maxConcurrency: number;
  /** Other coordinators' tasks a heartbeat adds, drawn from 0 to this minus 1. */
  others: number;
  warmup: number;
  iterations: number;
}

const DEFAULTS: SelectBenchOptions = {
  rate: 10_000,
  inFlight: 64,
  warmup: 20_000,
  iterations: 100_000,
  maxConcurrency: 8,
  others: 3,
};

const REQUIRED = SourceCaps.PROCESS | SourceCaps.SYSTEM_WIDE;
/** Distinct task ids, reused in turn (far more than ever run at once). */
const TASK_IDS = Array.from({ length: 4096 }, (_, i) => `task-${i.toString(36)}`);

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Latency of one selectCollector + release, for one strategy (the default when not given). */
export async function benchSelect(
  n = 1000,
  strategy: string = DEFAULT_STRATEGY,
  options: Partial<SelectBenchOptions> = {},
): Promise<
  SelectBench & {
    strategy: string;
    p999_ns: number;
    max_ns: number;
    heartbeats: number;
  }
> {
  const o = { ...DEFAULTS, ...options };
  const rng = seededRng(1);
  const clock = new ManualClock(1_700_000_000_000);
  const router = new CapabilityRouter({}, { clock });
  const lb = new LoadBalancer({ strategy }, { clock, rng: seededRng(7) });
  const adverts: CollectorAdvert[] = Array.from({ length: n }, (_, i) => ({
    id: `collector-${String(i).padStart(5, "0")}`,
    type: "bench",
    capabilities: REQUIRED | (i % 2 === 0 ? SourceCaps.REALTIME : SourceCaps.KERNEL_LEVEL),
    version: "1.0.0",
    health: "healthy",
    maxConcurrency: o.maxConcurrency,
    inFlight: Math.floor(rng() * (o.others + 1)),
    weight: 1 + Math.floor(rng() * 5),
    labels: {},
    startedAt: 1,
    heartbeatSeq: 1,
    heartbeatAt: clock.now(),
  }));
  router.follow((u) => lb.apply(u));
  for (const a of adverts) router.upsert(a);

  const gapMs = 1000 / o.rate;
  const beatsPerCall = (n * gapMs) / DEFAULT_HEARTBEAT_MS;
  let beatDebt = 0;
  let beat = 0;
  const heartbeat = (): void => {
    const i = beat++ % n;
    const a = adverts[i]!;
    const next: CollectorAdvert = {
      ...a,
      heartbeatSeq: a.heartbeatSeq + 1,
      heartbeatAt: clock.now(),
      // this coordinator's tasks there, plus a few of other coordinators'
      inFlight: lb.tasksOf(a.id).length + Math.floor(rng() * o.others),
    };
    adverts[i] = next;
    router.upsert(next);
  };

  const running: [string, string][] = [];
  let nextTask = 0;
  /** One task: heartbeats due (untimed), select + release of the oldest task (timed, in ns). */
  const step = (): number => {
    clock.advance(gapMs);
    for (beatDebt += beatsPerCall; beatDebt >= 1; beatDebt--) heartbeat();
    const taskId = TASK_IDS[nextTask++ % TASK_IDS.length]!;
    const done = running.length >= o.inFlight ? running.shift() : undefined;
    const t0 = process.hrtime.bigint();
    const pick = lb.selectCollector(REQUIRED, taskId);
    if (done !== undefined) lb.release(done[0], done[1]);
    const ns = Number(process.hrtime.bigint() - t0);
    if (pick === undefined) throw new Error("no capacity");
    running.push([pick, taskId]);
    if (done !== undefined) lb.recordSuccess(done[0], 5 + (Number(done[0].slice(10)) % 17));
    return ns;
  };
  for (let i = 0; i < o.warmup; i++) step();
  await new Promise((r) => setImmediate(r));
  const samples = new Float64Array(o.iterations);
  const beatsBefore = beat;
  for (let i = 0; i < o.iterations; i++) samples[i] = step();
  samples.sort();
  return {
    strategy,
    collectors: n,
    p50_ns: percentile(samples, 0.5),
    p99_ns: percentile(samples, 0.99),
    p999_ns: percentile(samples, 0.999),
    max_ns: samples[samples.length - 1] ?? 0,
    heartbeats: beat - beatsBefore,
  };
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const n = Number(args[0] !== undefined && !args[0].startsWith("--") ? args[0] : 1000);
  const options: Partial<SelectBenchOptions> = {};
  const rate = flag(args, "--rate");
  const inFlight = flag(args, "--in-flight");
  if (rate !== undefined) options.rate = Number(rate);
  if (inFlight !== undefined) options.inFlight = Number(inFlight);
  const max = flag(args, "--max-concurrency");
  const others = flag(args, "--others");
  if (max !== undefined) options.maxConcurrency = Number(max);
  if (others !== undefined) options.others = Number(others);
  const only = flag(args, "--strategy");
  const names = only !== undefined ? [only] : Object.values(StrategyName);
  const strategies = [];
  for (const s of names) strategies.push(await benchSelect(n, s, options));
  const def = strategies.find((s) => s.strategy === DEFAULT_STRATEGY) ?? strategies[0]!;
  console.log(JSON.stringify({ ...def, strategies }, null, 2));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
