import type { NatsConnection } from "@nats-io/nats-core";
import type { KV } from "@nats-io/kv";
import { decode, encode } from "../codec.js";
import { InvalidArgumentError } from "../errors.js";
import { CollectorAdvert } from "../../subjects/index.js";
import { AdvertHub, type Scheduled } from "./advert-hub.js";
import { parseAdvertiserOptions, type ResolvedAdvertiserOptions } from "../router/options.js";
import type { AdvertiserOptions, AdvertiserStats } from "../router/types.js";

type State = "new" | "starting" | "running" | "paused" | "stopped";

/**
 * The collector side of discovery: puts the collector's advert in the advert bucket (key = its
 * id) when it starts, again when something changes (`changed()`, at most once per
 * changeIntervalMs; `beat()` at once), and otherwise refreshes it every heartbeatMs (± jitter) so
 * that it outlives the bucket's max age; it deletes it on a graceful stop so that routers drop the
 * collector at once.
 *
 * Advertisers on one connection share an AdvertHub: the bucket is bound once, one timer runs every
 * refresh, and puts in flight are bounded. The refresh runs on that timer, never behind the
 * collector's task queue: a busy collector still refreshes (as soon as its event loop turns).
 *
 * heartbeatSeq counts puts. It continues from the advert already in the bucket under the same
 * key, if any, so a collector restarted in the same process is never taken for a replay. A put
 * that fails (e.g. while NATS reconnects) is logged and the next refresh tries again; puts never
 * reject and never pile up (a refresh is put off while the previous put is pending).
 */
export class Advertiser {
  readonly #nc: NatsConnection;
  readonly #opts: ResolvedAdvertiserOptions;
  #state: State = "new";
  #hub: AdvertHub | undefined;
  #kv: KV | undefined;
  #key: string | undefined;
  #seq = 0;
  #chain: Promise<void> = Promise.resolve();
  #busy = false;
  #failing = false;
  /** When the next refresh is due, and whether a change is waiting to be put. */
  #refreshAt = 0;
  #changed = false;
  #lastPutAt = Number.NEGATIVE_INFINITY;
  readonly #next: Scheduled = { dueAt: 0, heapIndex: -1, run: (now) => this.#due(now) };
  readonly #stats: AdvertiserStats = {
    puts: 0,
    changes: 0,
    failures: 0,
    heartbeatSeq: 0,
    lastPutAt: undefined,
    lastError: undefined,
  };

  constructor(nc: NatsConnection, opts: AdvertiserOptions) {
    this.#nc = nc;
    this.#opts = parseAdvertiserOptions(opts);
  }

  /** The collector id (the key), once started. */
  get id(): string | undefined {
    return this.#key;
  }

  get running(): boolean {
    return this.#state === "running";
  }

  /**
   * Binds the bucket (once per connection), puts the first advert, then refreshes. Rejects when
   * the advert is invalid or the first put fails (the collector would not be discoverable).
   */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "starting";
    const o = this.#opts;
    try {
      const first = this.#build();
      this.#key = first.id;
      // Puts use their own short timeout: a put sent just before a disconnect gets no answer,
      // and must not hold up the puts after the reconnect for the default 5 s.
      const putTimeoutMs = Math.min(Math.max(o.heartbeatMs, 250), o.ttlMs / 2, 5000);
      const hub = (this.#hub = AdvertHub.of(
        this.#nc,
        { prefix: o.prefix, ttlMs: o.ttlMs, putTimeoutMs },
        o.logger,
      ));
      const kv = await hub.kv();
      await hub.slot(() => this.#continueSeq(kv, first));
      this.#kv = kv;
      await hub.slot(() => this.#put());
    } catch (err) {
      this.#state = "new";
      throw err;
    }
    if ((this.#state as State) === "stopped") {
      // stop() ran while we started: take the advert back.
      await this.#kv.delete(this.#key).catch(() => undefined);
      return;
    }
    this.#state = "running";
    // The first refresh lands anywhere in a period: a fleet started at once puts at an even rate
    // from the first round on.
    this.#refreshAt = Date.now() + o.heartbeatMs * (0.1 + 0.9 * Math.random());
    this.#reschedule();
  }

  /** Puts the advert now (e.g. after a health change). Never rejects; no-op unless running. */
  async beat(): Promise<void> {
    if (this.#state !== "running") return;
    await this.#serial();
  }

  /**
   * Something in the advert changed (load crossed a level): it is put at once, or, when a put
   * went out less than changeIntervalMs ago, then. A burst of changes makes one put.
   */
  changed(): void {
    if (this.#state !== "running" || this.#changed) return;
    this.#changed = true;
    this.#reschedule();
  }

  /** Stops refreshing without deleting the advert: routers will see it go stale. */
  pause(): void {
    if (this.#state !== "running") return;
    this.#state = "paused";
    this.#hub?.cancel(this.#next);
  }

  /** Resumes refreshing, with a put at once. */
  resume(): void {
    if (this.#state !== "paused") return;
    this.#state = "running";
    void this.beat();
  }

  /** Stops refreshing and deletes the advert. Never rejects; a failed delete is logged. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const hadStarted = this.#state !== "new";
    this.#state = "stopped";
    this.#hub?.cancel(this.#next);
    await this.#chain;
    const kv = this.#kv;
    const key = this.#key;
    if (!hadStarted || !kv || !key) return;
    try {
      await kv.delete(key);
    } catch (err) {
      this.#opts.logger.warn(
        { collectorId: key, err: errText(err) },
        "advert not deleted; it expires with its TTL",
      );
    }
  }

  stats(): AdvertiserStats {
    return { ...this.#stats };
  }

  /** Puts the next put on the hub's timer: the refresh, or sooner for a change. */
  #reschedule(): void {
    const hub = this.#hub;
    if (hub === undefined || this.#state !== "running") return;
    let at = this.#refreshAt;
    if (this.#changed) at = Math.min(at, this.#lastPutAt + this.#opts.changeIntervalMs);
    this.#next.dueAt = at;
    hub.schedule(this.#next);
  }

  /** The hub's timer: the next put is due. */
  #due(now: number): void {
    if (this.#state !== "running") return;
    if (this.#busy) {
      // The last put is still out: try again shortly rather than pile puts up.
      this.#next.dueAt = now + Math.min(this.#opts.changeIntervalMs, this.#opts.heartbeatMs);
      this.#hub?.schedule(this.#next);
      return;
    }
    if (this.#changed) this.#stats.changes++;
    void this.#serial();
  }

  #serial(): Promise<void> {
    const p = this.#chain.then(() => this.#putLogged());
    this.#chain = p;
    return p;
  }

  async #putLogged(): Promise<void> {
    if (this.#state === "stopped" || this.#state === "paused") return;
    this.#busy = true;
    // Every put refreshes: the next refresh is a period (± jitter) from now.
    this.#changed = false;
    const { heartbeatMs, jitter } = this.#opts;
    this.#refreshAt = Date.now() + heartbeatMs * (1 + jitter * (2 * Math.random() - 1));
    this.#reschedule();
    try {
      await (this.#hub ? this.#hub.slot(() => this.#put()) : this.#put());
      if (this.#failing) {
        this.#failing = false;
        this.#opts.logger.info({ collectorId: this.#key }, "advert put again");
      }
    } catch (err) {
      if (!this.#failing) {
        this.#failing = true;
        this.#opts.logger.warn(
          { collectorId: this.#key, err: errText(err) },
          "advert put failed; retrying at the next refresh",
        );
      }
    } finally {
      this.#busy = false;
    }
  }

  async #put(): Promise<void> {
    const kv = this.#kv;
    const key = this.#key;
    if (!kv || !key) return;
    try {
      const advert = this.#build();
      this.#seq = advert.heartbeatSeq;
      this.#stats.heartbeatSeq = this.#seq;
      if (advert.id !== key) {
        throw new InvalidArgumentError("advert", `id changed from '${key}' to '${advert.id}'`);
      }
      this.#lastPutAt = Date.now();
      await kv.put(key, encode(CollectorAdvert, advert));
      this.#stats.puts++;
      this.#stats.lastPutAt = this.#opts.clock.now();
      this.#stats.lastError = undefined;
    } catch (err) {
      this.#stats.failures++;
      this.#stats.lastError = errText(err);
      throw err;
    }
  }

  /** The current advert, stamped with the next heartbeatSeq and now, validated. */
  #build(): CollectorAdvert {
    const raw = this.#opts.advert();
    const parsed = CollectorAdvert.safeParse({
      ...raw,
      heartbeatSeq: this.#seq + 1,
      heartbeatAt: this.#opts.clock.now(),
    });
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      const where = i && i.path.length > 0 ? i.path.map(String).join(".") : "advert";
      throw new InvalidArgumentError("advert", `is invalid at ${where}: ${i?.message ?? "?"}`);
    }
    return parsed.data;
  }

  /** Continues heartbeatSeq from the advert already stored under our key, if any. */
  async #continueSeq(kv: KV, first: CollectorAdvert): Promise<void> {
    const prev = await kv.get(first.id);
    if (!prev || prev.operation !== "PUT") return;
    let old: CollectorAdvert;
    try {
      old = decode(CollectorAdvert, prev.value);
    } catch {
      return;
    }
    this.#seq = Math.max(this.#seq, old.heartbeatSeq);
    const age = this.#opts.clock.now() - old.heartbeatAt;
    if (old.startedAt !== first.startedAt && age >= 0 && age < this.#opts.ttlMs) {
      this.#opts.logger.warn(
        { collectorId: first.id, otherStartedAt: old.startedAt },
        "another collector with this id heartbeated recently; ids must be unique",
      );
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
