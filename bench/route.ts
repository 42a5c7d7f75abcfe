/**
 * CapabilityRouter.routeTask latency with n registered collectors, over mixed required
 * capability sets, while collectors keep heartbeating (one untimed heartbeat every 100 decisions).
 *   npx tsx bench/route.ts [n]
 * prints one JSON object.
 *
 * routeTask scores every registered collector at the time of the call and sorts the capable ones
 * (O(n log n), allocating a candidate per collector): it serves operators and library users, not
 * the coordinator's per-task path, which places tasks through the balancer's pools
 * (bench/select.ts). Hence fewer iterations than the select bench.
 */
import { pathToFileURL } from "node:url";
import { seededRng } from "../src/clock.js";
import { CapabilityRouter } from "../src/router/index.js";
import { SourceCaps, type CollectorAdvert } from "../subjects/index.js";

export interface RouteBench {
  collectors: number;
  p50_ns: number;
  p99_ns: number;
}

const WARMUP = 2_000;
const ITERATIONS = 20_000;
const BEAT_EVERY = 100;

const { PROCESS, NETWORK, FILESYSTEM, PERFORMANCE, REALTIME, KERNEL_LEVEL, SYSTEM_WIDE } =
  SourceCaps;

/** What collectors advertise: a mix of the reference collectors' capability sets. */
const ADVERTISED = [
  PROCESS | REALTIME | SYSTEM_WIDE,
  PROCESS | KERNEL_LEVEL | SYSTEM_WIDE,
  NETWORK | REALTIME,
  NETWORK | KERNEL_LEVEL | SYSTEM_WIDE,
  FILESYSTEM | REALTIME,
  FILESYSTEM | SYSTEM_WIDE,
  PERFORMANCE | SYSTEM_WIDE,
  PROCESS | NETWORK | FILESYSTEM | PERFORMANCE,
];

/** What tasks require. */
const REQUIRED = [
  PROCESS,
  NETWORK,
  FILESYSTEM,
  PERFORMANCE,
  PROCESS | REALTIME,
  NETWORK | KERNEL_LEVEL,
  FILESYSTEM | SYSTEM_WIDE,
  PROCESS | NETWORK,
  SYSTEM_WIDE,
];

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

export async function benchRoute(n = 1000): Promise<RouteBench> {
  const rng = seededRng(3);
  const router = new CapabilityRouter();
  const adverts: CollectorAdvert[] = Array.from({ length: n }, (_, i) => ({
    id: `collector-${String(i).padStart(5, "0")}`,
    type: "bench",
    capabilities: ADVERTISED[i % ADVERTISED.length] ?? PROCESS,
    version: "1.0.0",
    health: rng() < 0.1 ? "degraded" : "healthy",
    maxConcurrency: 8,
    inFlight: Math.floor(rng() * 8),
    weight: 1,
    labels: {},
    startedAt: 1,
    heartbeatSeq: 1,
    heartbeatAt: Date.now(),
  }));
  for (const a of adverts) router.upsert(a);

  let beat = 0;
  const heartbeat = (): void => {
    const i = beat++ % n;
    const a = adverts[i] as CollectorAdvert;
    const next = { ...a, heartbeatSeq: a.heartbeatSeq + 1, inFlight: Math.floor(rng() * 8) };
    adverts[i] = next;
    router.upsert(next);
  };

  let sink = 0;
  for (let i = 0; i < WARMUP; i++) {
    sink += router.routeTask(REQUIRED[i % REQUIRED.length] ?? PROCESS).confidence;
    if (i % BEAT_EVERY === 0) heartbeat();
  }
  await new Promise((r) => setImmediate(r));

  const samples = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const required = REQUIRED[i % REQUIRED.length] ?? PROCESS;
    const t0 = process.hrtime.bigint();
    const d = router.routeTask(required);
    samples[i] = Number(process.hrtime.bigint() - t0);
    sink += d.confidence;
    if (i % BEAT_EVERY === 0) heartbeat();
  }
  if (sink < 0) console.error(sink);
  samples.sort();
  return {
    collectors: n,
    p50_ns: Math.round(percentile(samples, 0.5)),
    p99_ns: Math.round(percentile(samples, 0.99)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = Number(process.argv[2] ?? 1000);
  console.log(JSON.stringify(await benchRoute(n)));
}
