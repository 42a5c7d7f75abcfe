/**
 * Peak-sensitive, time-weighted moving average of latency, as Finagle's and Linkerd's
 * `PeakEwma`: a sample above the estimate replaces it at once (react to trouble immediately);
 * a lower one is blended in with weight `1 - exp(-elapsed / decayMs)`, so the estimate comes down
 * over wall time, not over a number of samples. Time comes from the caller (the injected clock).
 */
export class PeakEwma {
  readonly decayMs: number;
  #value: number | undefined = undefined;
  #at = 0;

  constructor(decayMs: number) {
    this.decayMs = decayMs;
  }

  /** The estimate as of the last sample, undefined before the first. */
  get value(): number | undefined {
    return this.#value;
  }

  /** Adds a latency sample (ms) observed at `at` (ms). Negative samples count as 0. */
  observe(sample: number, at: number): void {
    if (!Number.isFinite(sample) || !Number.isFinite(at)) return;
    const s = sample > 0 ? sample : 0;
    const v = this.#value;
    if (v === undefined || s > v) {
      this.#value = s;
    } else {
      const elapsed = at > this.#at ? at - this.#at : 0;
      const w = Math.exp(-elapsed / this.decayMs);
      this.#value = v * w + s * (1 - w);
    }
    if (at > this.#at) this.#at = at;
  }

  /**
   * The estimate at `now`, decayed towards 0 by the time without samples (an idle, once slow
   * instance is tried again after a while); `fallback` before the first sample.
   */
  at(now: number, fallback: number): number {
    const v = this.#value;
    if (v === undefined) return fallback;
    const idle = now - this.#at;
    return idle > 0 ? v * Math.exp(-idle / this.decayMs) : v;
  }
}
