import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm, type KV } from "@nats-io/kv";
import { jetstream } from "@nats-io/jetstream";
import { decode, encode } from "../codec.js";
import { InvalidArgumentError } from "../errors.js";
import { CollectorAdvert, Subjects } from "../../subjects/index.js";
import { openAdvertBucket } from "./bucket.js";
import { parseAdvertiserOptions, type ResolvedAdvertiserOptions } from "./options.js";
import type { AdvertiserOptions, AdvertiserStats } from "./types.js";

type State = "new" | "starting" | "running" | "paused" | "stopped";

/**
 * The collector side of discovery: puts the collector's advert in the advert bucket (key = its
 * id), then again every heartbeatMs with current load and health, and deletes it on a graceful
 * stop so that routers drop the collector at once.
 *
 * heartbeatSeq counts puts. It continues from the advert already in the bucket under the same
 * key, if any, so a collector restarted in the same process is never taken for a replay. A put
 * that fails (e.g. while NATS reconnects) is logged and the next beat tries again; heartbeats
 * never reject and never pile up (a beat is skipped while the previous put is pending).
 */
export class Advertiser {
  readonly #nc: NatsConnection;
  readonly #opts: ResolvedAdvertiserOptions;
  #state: State = "new";
  #kv: KV | undefined;
  #key: string | undefined;
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #busy = false;
  #failing = false;
  readonly #stats: AdvertiserStats = {
    puts: 0,
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
   * Binds the bucket, puts the first advert, then heartbeats. Rejects when the advert is invalid
   * or the first put fails (the collector would not be discoverable).
   */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "starting";
    try {
      const first = this.#build();
      this.#key = first.id;
      const created = await openAdvertBucket(this.#nc, {
        prefix: this.#opts.prefix,
        ttlMs: this.#opts.ttlMs,
        logger: this.#opts.logger,
      });
      await this.#continueSeq(created, first);
      // Heartbeats use their own short timeout: a put sent just before a disconnect gets no
      // answer, and must not hold up the beats after the reconnect for the default 5 s.
      const timeout = Math.min(Math.max(this.#opts.heartbeatMs, 250), this.#opts.ttlMs / 2);
      this.#kv = await new Kvm(jetstream(this.#nc, { timeout })).open(
        new Subjects(this.#opts.prefix).bucket(),
      );
      await this.#put();
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
    this.#startTimer();
  }

  /** Puts the advert now (e.g. after a health change). Never rejects; no-op unless running. */
  async beat(): Promise<void> {
    if (this.#state !== "running") return;
    await this.#serial();
  }

  /** Stops heartbeats without deleting the advert: routers will see it go stale. */
  pause(): void {
    if (this.#state !== "running") return;
    this.#state = "paused";
    this.#stopTimer();
  }

  /** Resumes heartbeats, with a beat at once. */
  resume(): void {
    if (this.#state !== "paused") return;
    this.#state = "running";
    this.#startTimer();
    void this.beat();
  }

  /** Stops heartbeats and deletes the advert. Never rejects; a failed delete is logged. */
  async stop(): Promise<void> {
    if (this.#state === "stopped") return;
    const hadStarted = this.#state !== "new";
    this.#state = "stopped";
    this.#stopTimer();
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

  #startTimer(): void {
    this.#stopTimer();
    this.#timer = setInterval(() => {
      if (!this.#busy) void this.beat();
    }, this.#opts.heartbeatMs);
    this.#timer.unref();
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #serial(): Promise<void> {
    const p = this.#chain.then(() => this.#putLogged());
    this.#chain = p;
    return p;
  }

  async #putLogged(): Promise<void> {
    if (this.#state === "stopped" || this.#state === "paused") return;
    this.#busy = true;
    try {
      await this.#put();
      if (this.#failing) {
        this.#failing = false;
        this.#opts.logger.info({ collectorId: this.#key }, "advert put again");
      }
    } catch (err) {
      if (!this.#failing) {
        this.#failing = true;
        this.#opts.logger.warn(
          { collectorId: this.#key, err: errText(err) },
          "advert put failed; retrying at the next heartbeat",
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
