/**
 * A token bucket for one hunt's new parts: `ratePerSec` tokens a second, holding at most a tenth
 * of a second's worth (at least one), so that in any window of W ms at most
 * `burst + ratePerSec × W / 1000` parts start. It starts full.
 */
export class RateGate {
  readonly ratePerSec: number;
  readonly burst: number;
  #tokens: number;
  #last: number | undefined;

  constructor(ratePerSec: number) {
    this.ratePerSec = ratePerSec;
    this.burst = Math.max(1, ratePerSec / 10);
    this.#tokens = this.burst;
  }

  /** Takes one token at `now`; false when there is none. */
  take(now: number): boolean {
    if (this.#last !== undefined && now > this.#last) {
      this.#tokens = Math.min(
        this.burst,
        this.#tokens + ((now - this.#last) * this.ratePerSec) / 1000,
      );
    }
    if (this.#last === undefined || now > this.#last) this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
