/**
 * Suppresses repeats: `shouldLog(key)` is true the first time a key is seen within `windowMs`,
 * so a storm of invalid messages from one source logs one line, with a count of what was
 * suppressed when the window ends. Bounded: at most `maxKeys` keys are remembered.
 */
export class LogOnce {
  readonly #seen = new Map<string, { at: number; suppressed: number }>();
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(opts: { windowMs?: number; maxKeys?: number; now?: () => number } = {}) {
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#maxKeys = opts.maxKeys ?? 1000;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * True when `key` should be logged now; then `suppressed` says how many repeats were skipped
   * since the last line for it.
   */
  check(key: string): { log: boolean; suppressed: number } {
    const now = this.#now();
    const e = this.#seen.get(key);
    if (e && now - e.at < this.#windowMs) {
      e.suppressed++;
      return { log: false, suppressed: e.suppressed };
    }
    const suppressed = e?.suppressed ?? 0;
    if (!e && this.#seen.size >= this.#maxKeys) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.delete(key);
    this.#seen.set(key, { at: now, suppressed: 0 });
    return { log: true, suppressed };
  }
}
