/**
 * Memory soak: `tasks` round trips kept `inFlight` deep, resident set size sampled after each
 * tenth. `start_mb` is this process's (the coordinator's) RSS after the first tenth (10⁵ of 10⁶
 * with --full), `end_mb` after the last; the target is end within 10 % of start. Other processes
 * (the collector's, in a child) are sampled at the same points and reported beside it.
 */
import { rssOfPidMb } from "./responders.js";
import { round1, rssMb, type RoundTrip } from "./stats.js";

export interface RssResult {
  tasks: number;
  start_mb: number;
  end_mb: number;
  /** (end − start) / start. */
  growth: number;
  /** RSS after each tenth of the tasks, MB. */
  samples_mb: number[];
  /**
   * Highest RSS seen during each tenth (sampled every hundredth), MB. A point sample lands
   * anywhere in the garbage collector's cycle (several MB up or down); the peak of a tenth does
   * not, so peak growth from the first tenth to the last is the steadier sign of a leak.
   */
  peaks_mb: number[];
  peak_growth: number;
  seconds: number;
  /** Unmeasured load on the same path before the soak began (set by the caller). */
  after_warmup_ms?: number;
  /** The same figures for other processes, by name. */
  others?: Record<string, { start_mb: number; end_mb: number; growth: number }>;
}

export async function soak(
  op: RoundTrip,
  tasks: number,
  inFlight: number,
  others: Record<string, number> = {},
): Promise<RssResult> {
  const tenth = Math.max(1, Math.floor(tasks / 10));
  const hundredth = Math.max(1, Math.floor(tasks / 100));
  const samples: number[] = [];
  const peaks: number[] = [];
  let peak = 0;
  const otherSamples: Record<string, number[]> = {};
  for (const name of Object.keys(others)) otherSamples[name] = [];
  let started = 0;
  let done = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (started < tasks) {
      started++;
      await op();
      done++;
      if (done % hundredth === 0) peak = Math.max(peak, rssMb());
      if (done % tenth === 0) {
        const now = rssMb();
        samples.push(now);
        peaks.push(Math.max(peak, now));
        peak = 0;
        for (const [name, pid] of Object.entries(others)) {
          otherSamples[name]?.push(rssOfPidMb(pid) ?? Number.NaN);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const growth = (s: number[]): { start_mb: number; end_mb: number; growth: number } => {
    const start = s[0] ?? Number.NaN;
    const end = s[s.length - 1] ?? Number.NaN;
    return {
      start_mb: start,
      end_mb: end,
      growth: Math.round(((end - start) / start) * 1000) / 1000,
    };
  };
  const out: RssResult = {
    tasks,
    ...growth(samples),
    samples_mb: samples,
    peaks_mb: peaks,
    peak_growth: growth(peaks).growth,
    seconds: round1((performance.now() - t0) / 1000),
  };
  if (Object.keys(others).length > 0) {
    out.others = {};
    for (const [name, s] of Object.entries(otherSamples)) out.others[name] = growth(s);
  }
  return out;
}
