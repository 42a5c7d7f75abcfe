import type { KV } from "@nats-io/kv";
import type { Clock } from "../clock.js";

/**
 * Room left in a bucket bounded by bytes. A full KV bucket refuses every write, updates too, so
 * new keys (a hunt, a part's claim) stop at HUNT_BUCKET_FILL of its bytes: the rest is left for
 * the updates of what is there (a stop, a pause, a part's outcome).
 */
export const HUNT_BUCKET_FILL = 0.9;

/** How a bucket stands: bytes stored and its most (-1: unbounded, made before it had a bound). */
export interface BucketFill {
  readonly bytes: number;
  readonly maxBytes: number;
}

export async function bucketFill(kv: KV): Promise<BucketFill> {
  const si = (await kv.status()).streamInfo;
  return { bytes: si.state.bytes, maxBytes: si.config.max_bytes };
}

/** True when `adding` more bytes keep the bucket below its fill line. */
export function hasRoom(f: BucketFill, adding = 0): boolean {
  return f.maxBytes <= 0 || f.bytes + adding <= f.maxBytes * HUNT_BUCKET_FILL;
}

export function describeFill(f: BucketFill): string {
  return `${f.bytes} of ${f.maxBytes} bytes`;
}

/**
 * The runner's view of the claims bucket's room: read every `everyMs`, and a tenth of that after
 * a claim was stored (one read at a time, so a fast hunt costs at most ten reads a second).
 * Unknown counts as room (the bucket's own limit still holds).
 */
export class ClaimsRoom {
  readonly #kv: KV;
  readonly #clock: Clock;
  readonly #everyMs: number;
  #fill: BucketFill | undefined;
  #checkedAt = -Infinity;
  #checking = false;
  #stale = false;

  constructor(kv: KV, clock: Clock, everyMs: number) {
    this.#kv = kv;
    this.#clock = clock;
    this.#everyMs = everyMs;
  }

  get fill(): BucketFill | undefined {
    return this.#fill;
  }

  hasRoom(): boolean {
    return this.#fill === undefined || hasRoom(this.#fill);
  }

  /** A claim was stored: what was read is stale. */
  stored(): void {
    this.#stale = true;
    this.refresh();
  }

  /** Reads the bucket's fill when what was read is stale or old; one read at a time. */
  refresh(): void {
    const now = this.#clock.now();
    const wait = this.#stale ? this.#everyMs / 10 : this.#everyMs;
    if (this.#checking || now - this.#checkedAt < wait) return;
    this.#checking = true;
    this.#stale = false;
    this.#checkedAt = now;
    bucketFill(this.#kv)
      .then(
        (f) => void (this.#fill = f),
        () => undefined,
      )
      .finally(() => {
        this.#checking = false;
        if (this.#stale) this.refresh();
      });
  }
}
