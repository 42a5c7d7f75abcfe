/**
 * selectCollector + release latency with n candidates, per strategy.
 *   npx tsx bench/select.ts [n]
 * prints one JSON object: the default strategy's numbers plus `strategies` (one entry each).
 */
import { pathToFileURL } from "node:url";
import { seededRng } from "../src/clock.js";
import {
  DEFAULT_STRATEGY,
  LoadBalancer,
  StrategyName,
  type BalancerCandidate,
} from "../src/balancer/index.js";

export interface SelectBench {
  collectors: number;
  p50_ns: number;
  p99_ns: number;
}

const WARMUP = 20_000;
const ITERATIONS = 100_000;

function candidates(n: number): BalancerCandidate[] {
  const rng = seededRng(1);
  return Array.from({ length: n }, (_, i) => ({
    id: `collector-${String(i).padStart(5, "0")}`,
    advert: {
      maxConcurrency: 8,
      inFlight: Math.floor(rng() * 4),
      weight: 1 + Math.floor(rng() * 5),
      heartbeatSeq: 1,
    },
  }));
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Latency of one selectCollector + release, for one strategy (the default when not given). */
export async function benchSelect(
  n = 1000,
  strategy: string = DEFAULT_STRATEGY,
): Promise<SelectBench & { strategy: string }> {
  const lb = new LoadBalancer({ strategy }, { rng: seededRng(7) });
  const list = candidates(n);
  for (let i = 0; i < 200; i++) lb.recordSuccess(list[i % n]!.id, 5 + (i % 17));
  const once = (): void => {
    const pick = lb.selectCollector(0, list, "bench");
    if (pick === null) throw new Error("no capacity");
    lb.release(pick.id, "bench");
  };
  for (let i = 0; i < WARMUP; i++) once();
  await new Promise((r) => setImmediate(r));
  const samples = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = process.hrtime.bigint();
    once();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  samples.sort();
  return {
    strategy,
    collectors: n,
    p50_ns: percentile(samples, 0.5),
    p99_ns: percentile(samples, 0.99),
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  const strategies: (SelectBench & { strategy: string })[] = [];
  for (const s of Object.values(StrategyName)) strategies.push(await benchSelect(n, s));
  const def = strategies.find((s) => s.strategy === DEFAULT_STRATEGY)!;
  console.log(JSON.stringify({ ...def, strategies }, null, 2));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
