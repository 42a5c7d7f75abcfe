/**
 * The last `capacity` samples in a ring, for percentiles over a recent window: fixed memory,
 * O(1) to record, a sort of at most `capacity` numbers per read.
 */
export class LatencyWindow {
  readonly #ring: Float64Array;
  #next = 0;
  #count = 0;

  constructor(capacity: number) {
    this.#ring = new Float64Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#count < this.#ring.length) this.#count++;
  }

  /** Nearest-rank percentiles for each `p` in (0, 1]; 0 when there are no samples. */
  percentiles(...ps: number[]): number[] {
    if (this.#count === 0) return ps.map(() => 0);
    const sorted = this.#ring.slice(0, this.#count).sort();
    const n = sorted.length;
    return ps.map((p) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] as number);
  }
}
