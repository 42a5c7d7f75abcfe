/**
 * Measurement helpers shared by every benchmark: percentiles, a sequential round-trip driver and
 * a pipelined (fixed in-flight) driver. Times are taken with performance.now() (sub-µs).
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export interface Latency {
  p50_us: number;
  p99_us: number;
  /** CPU time per round trip in each measured process (µs), when a CpuMeter was given. */
  cpu_us_per_op?: Record<string, number>;
}

export interface Throughput {
  in_flight: number;
  per_s: number;
  /** CPU time per round trip in each measured process (µs), when a CpuMeter was given. */
  cpu_us_per_op?: Record<string, number>;
}

/**
 * CPU time (user + system, µs) of named processes: this one from process.cpuUsage(), others from
 * /proc/<pid>/stat (clock ticks, so only long windows are meaningful). CPU time per operation
 * does not depend on how busy the machine is, where throughput does.
 */
export class CpuMeter {
  readonly #pids: Record<string, number>;

  constructor(pids: Record<string, number>) {
    this.#pids = pids;
  }

  sample(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.#pids)) {
      if (pid === process.pid) {
        const u = process.cpuUsage();
        out[name] = u.user + u.system;
      } else {
        out[name] = procCpuUs(pid);
      }
    }
    return out;
  }
}

const TICK_US = 10_000; // USER_HZ = 100 on Linux

function procCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return Number.NaN;
  }
}

/** The value at quantile `q` (0..1) of `sorted` (ascending), nearest rank. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** p50 and p99 of samples in milliseconds, as microseconds rounded to 0.1. */
export function latencyOf(samplesMs: Float64Array): Latency {
  const s = Float64Array.from(samplesMs).sort();
  return { p50_us: round1(quantile(s, 0.5) * 1000), p99_us: round1(quantile(s, 0.99) * 1000) };
}

/** Median of numbers (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function medianCpu(
  list: readonly (Record<string, number> | undefined)[],
): Record<string, number> | undefined {
  const first = list[0];
  if (!first) return undefined;
  const out: Record<string, number> = {};
  for (const k of Object.keys(first)) out[k] = round1(median(list.map((c) => c?.[k] ?? NaN)));
  return out;
}

/** Field-wise median of several sequential measurements. */
export function medianLatency(list: readonly Latency[]): Latency {
  const out: Latency = {
    p50_us: round1(median(list.map((l) => l.p50_us))),
    p99_us: round1(median(list.map((l) => l.p99_us))),
  };
  const cpu = medianCpu(list.map((l) => l.cpu_us_per_op));
  if (cpu) out.cpu_us_per_op = cpu;
  return out;
}

/** Field-wise median of several pipelined measurements. */
export function medianThroughput(list: readonly Throughput[]): Throughput {
  const out: Throughput = {
    in_flight: list[0]?.in_flight ?? 0,
    per_s: Math.round(median(list.map((t) => t.per_s))),
  };
  const cpu = medianCpu(list.map((t) => t.cpu_us_per_op));
  if (cpu) out.cpu_us_per_op = cpu;
  return out;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** One round trip; resolves when its reply (or aggregated result) is in. */
export type RoundTrip = () => Promise<unknown>;

/**
 * `warmup` round trips, then `count` timed ones, one at a time: p50 and p99 in µs.
 */
export async function sequential(
  op: RoundTrip,
  count: number,
  warmup: number,
  meter?: CpuMeter,
): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await op();
  const samples = new Float64Array(count);
  const cpu0 = meter?.sample();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await op();
    samples[i] = performance.now() - t0;
  }
  const out = latencyOf(samples);
  const perOp = cpuPerOp(cpu0, meter?.sample(), count);
  if (perOp) out.cpu_us_per_op = perOp;
  return out;
}

function cpuPerOp(
  before: Record<string, number> | undefined,
  after: Record<string, number> | undefined,
  ops: number,
): Record<string, number> | undefined {
  if (!before || !after || ops <= 0) return undefined;
  const out: Record<string, number> = {};
  for (const k of Object.keys(after)) {
    out[k] = round1(((after[k] as number) - (before[k] as number)) / ops);
  }
  return out;
}

/**
 * Keeps `inFlight` round trips outstanding: a warm-up of `warmupMs`, then completions counted for
 * `durationMs`. Each of `inFlight` lanes starts its next round trip as soon as its last one ends.
 * A round trip that fails stops every lane; the failure is thrown once they have all ended.
 */
export async function pipelined(
  op: RoundTrip,
  inFlight: number,
  durationMs: number,
  warmupMs: number,
  meter?: CpuMeter,
): Promise<Throughput> {
  let counting = false;
  let stop = false;
  let done = 0;
  let failed: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    try {
      while (!stop) {
        await op();
        if (counting) done++;
      }
    } catch (err) {
      failed ??= { err };
      stop = true;
    }
  };
  const lanes = Array.from({ length: inFlight }, lane);
  await sleep(warmupMs);
  counting = true;
  const cpu0 = meter?.sample();
  const t0 = performance.now();
  await sleep(durationMs);
  counting = false;
  const elapsed = performance.now() - t0;
  const cpu1 = meter?.sample();
  const counted = done;
  stop = true;
  await Promise.all(lanes);
  if (failed) throw failed.err;
  const out: Throughput = { in_flight: inFlight, per_s: Math.round((counted * 1000) / elapsed) };
  const perOp = cpuPerOp(cpu0, cpu1, counted);
  if (perOp) out.cpu_us_per_op = perOp;
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resident set size of this process in MB (one decimal). */
export function rssMb(): number {
  return round1(process.memoryUsage.rss() / (1024 * 1024));
}
