import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm, type KV } from "@nats-io/kv";
import { jetstream } from "@nats-io/jetstream";
import { Subjects } from "../../subjects/index.js";
import { IndexedHeap, type HeapItem } from "../structures/heap.js";
import type { Logger } from "../telemetry/logger.js";
import { openAdvertBucket } from "./bucket.js";

/** Puts (and reads) in flight at once on one hub; the rest wait their turn. */
export const MAX_HUB_OPS_IN_FLIGHT = 256;
/** Refreshes due within this much of each other go out on one timer wake-up. */
const COALESCE_MS = 20;

/** Something the hub's timer runs when its time comes: an advertiser's next put. */
export interface Scheduled extends HeapItem {
  dueAt: number;
  run(now: number): void;
}

export interface AdvertHubKey {
  readonly prefix: string;
  /** Max age of the bucket when the hub creates it. */
  readonly ttlMs: number;
  /** JetStream timeout of puts: short, so a put lost in a disconnect does not hold up the next. */
  readonly putTimeoutMs: number;
}

const hubs = new WeakMap<NatsConnection, Map<string, AdvertHub>>();

/**
 * What every advertiser on one connection (and prefix) shares, so that a process that runs
 * thousands of collectors pays per collector only its own puts: the advert bucket, bound once;
 * one timer for every advertiser's next put; and a bound on puts in flight, so that starting many
 * at once does not flood the server with requests.
 */
export class AdvertHub {
  readonly #nc: NatsConnection;
  readonly #key: AdvertHubKey;
  readonly #logger: Logger;
  #kv: Promise<KV> | undefined;
  readonly #due = new IndexedHeap<Scheduled>((a, b) => a.dueAt < b.dueAt);
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Infinity;
  #ops = 0;
  readonly #waiting: (() => void)[] = [];

  private constructor(nc: NatsConnection, key: AdvertHubKey, logger: Logger) {
    this.#nc = nc;
    this.#key = key;
    this.#logger = logger;
  }

  /** The hub of `nc` for these settings, made on first use. */
  static of(nc: NatsConnection, key: AdvertHubKey, logger: Logger): AdvertHub {
    let byKey = hubs.get(nc);
    if (byKey === undefined) hubs.set(nc, (byKey = new Map<string, AdvertHub>()));
    const k = `${key.prefix} ${key.ttlMs} ${key.putTimeoutMs}`;
    let hub = byKey.get(k);
    if (hub === undefined) byKey.set(k, (hub = new AdvertHub(nc, key, logger)));
    return hub;
  }

  /** Advertisers waiting for their next put. */
  get scheduled(): number {
    return this.#due.size;
  }

  /** The advert bucket, created or bound once; a failed bind is tried again by the next caller. */
  kv(): Promise<KV> {
    this.#kv ??= this.#bind().catch((err: unknown) => {
      this.#kv = undefined;
      throw err;
    });
    return this.#kv;
  }

  async #bind(): Promise<KV> {
    const { prefix, ttlMs, putTimeoutMs } = this.#key;
    const made = await openAdvertBucket(this.#nc, { prefix, ttlMs, logger: this.#logger });
    // Bound again for its own put timeout; reads go direct (`$JS.API.DIRECT.GET.<stream>.<key>`,
    // what a collector's permissions allow) when the bucket allows it, as binding alone cannot tell.
    const allowDirect = (await made.status()).streamInfo.config.allow_direct;
    const js = jetstream(this.#nc, { timeout: putTimeoutMs });
    return new Kvm(js).open(new Subjects(prefix).bucket(), { allow_direct: allowDirect });
  }

  /** Runs `fn` once fewer than MAX_HUB_OPS_IN_FLIGHT others run. */
  async slot<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#ops >= MAX_HUB_OPS_IN_FLIGHT) {
      await new Promise<void>((r) => this.#waiting.push(r));
    }
    this.#ops++;
    try {
      return await fn();
    } finally {
      this.#ops--;
      this.#waiting.shift()?.();
    }
  }

  /** Runs `s` at `s.dueAt` (moved when it is already waiting). */
  schedule(s: Scheduled): void {
    if (s.heapIndex >= 0) this.#due.remove(s);
    this.#due.push(s);
    this.#arm();
  }

  cancel(s: Scheduled): void {
    if (s.heapIndex >= 0) this.#due.remove(s);
  }

  #arm(): void {
    const next = this.#due.peek();
    if (next === undefined) return;
    if (this.#timer !== undefined && next.dueAt >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = next.dueAt;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next.dueAt - Date.now()));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    for (let s = this.#due.peek(); s !== undefined && s.dueAt <= now + COALESCE_MS;) {
      this.#due.remove(s);
      try {
        s.run(now);
      } catch (err) {
        this.#logger.error({ err: String(err) }, "advert refresh threw");
      }
      s = this.#due.peek();
    }
    this.#arm();
  }
}
