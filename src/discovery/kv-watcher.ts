import type { NatsConnection } from "@nats-io/nats-core";
import type { KV } from "@nats-io/kv";
import { decode, encode } from "../codec.js";
import { QueuedIterator as MeshQueue, type MeshIterator } from "../structures/iterator.js";
import { CollectorAdvert, CollectorEvent, Subjects } from "../../subjects/index.js";
import { followLink, type LinkChange } from "../link.js";
import { bindAdvertBucket } from "./bucket.js";
import { BatchedWatch, BatchPolicy, type AdvertEntry, type AdvertWatch } from "./batched-watch.js";
import type { CapabilityRouter } from "../router/capability-router.js";
import { parseWatcherOptions, type ResolvedWatcherOptions } from "../router/options.js";
import type { RouterChange, RouterWatcherOptions, RouterWatcherStats } from "../router/types.js";

/** Keys remembered as already reported invalid (so a storm of bad heartbeats logs once). */
const MAX_WARNED_KEYS = 10_000;
const REWATCH_DELAY_MS = 500;
/** Least silence (no entry at all) after which a watch is taken for lost and opened again. */
const MIN_SILENCE_MS = 1000;

/**
 * Feeds a CapabilityRouter from the advert bucket: watches `<prefix>_collectors`, applies puts,
 * deletes and purges, and sweeps for stale adverts on one timer. From nats-server 2.11 the bucket
 * has limit markers: an advert that reaches its max age is announced to watchers (a PURGE entry),
 * so the router forgets it at once; before 2.11 the server expires it silently and the sweep is
 * what takes it out of routing (stale, then forgotten after forgetAfterMs). Every change goes to the onChange listeners, to events()
 * streams, and (unless publishEvents is false) out as a CollectorEvent on
 * `<prefix>.event.collector.<id>`.
 *
 * A value that is not a valid advert, or whose key is not the advert's id, is counted, logged
 * once per key, and leaves the router as it was.
 */
export class RouterWatcher {
  readonly #nc: NatsConnection;
  readonly #router: CapabilityRouter;
  readonly #opts: ResolvedWatcherOptions;
  readonly #subjects: Subjects;
  readonly #listeners = new Set<(c: RouterChange) => void>();
  readonly #streams = new Set<MeshQueue<RouterChange>>();
  readonly #warned = new Set<string>();
  #kv: KV | undefined;
  #watch: AdvertWatch | undefined;
  /** Whether the watch open reads in batches, and whether the next one should. */
  readonly #batches: BatchPolicy;
  #loop: Promise<void> | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #rewatch: NodeJS.Timeout | undefined;
  #ready = false;
  #onReady: (() => void) | undefined;
  #started: Promise<void> | undefined;
  #stopped = false;
  /** When the watch last delivered an entry, or was opened. */
  #lastHeard = 0;
  /** The bucket revision of the last entry applied: a reopened watch resumes after it. */
  #lastRevision = 0;
  #disconnected = false;
  readonly #stats: RouterWatcherStats = {
    entries: 0,
    invalid: 0,
    changes: 0,
    published: 0,
    sweeps: 0,
    rewatches: 0,
    purges: 0,
    bucketTtlMs: undefined,
    expiry: undefined,
    adverts: "pushed",
  };

  constructor(nc: NatsConnection, router: CapabilityRouter, opts: RouterWatcherOptions = {}) {
    this.#nc = nc;
    this.#router = router;
    this.#opts = parseWatcherOptions({
      ...opts,
      prefix: opts.prefix ?? router.options.prefix,
      ttlMs: opts.ttlMs ?? router.options.heartbeatTimeoutMs,
    });
    this.#subjects = new Subjects(this.#opts.prefix);
    this.#batches = new BatchPolicy(this.#opts);
  }

  /**
   * Binds the bucket and starts watching; resolves once the adverts already in the bucket are
   * applied (or after initTimeoutMs, with a warning). Idempotent.
   */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const { kv, status, limitMarkers } = await bindAdvertBucket(this.#nc, {
      prefix: this.#opts.prefix,
      ttlMs: this.#opts.ttlMs,
      logger: this.#opts.logger,
      upgrade: true,
    });
    this.#kv = kv;
    this.#stats.bucketTtlMs = status.ttl;
    this.#stats.expiry = limitMarkers ? "limit-marker" : "sweep";
    const ready = new Promise<void>((resolve) => (this.#onReady = resolve));
    await this.#openWatch(kv);
    void followLink(
      this.#nc,
      (c) => this.#onLink(c),
      () => this.#stopped,
    );
    // An empty bucket delivers no entry to flag the end of the snapshot.
    if (!this.#ready && (await kv.status()).values === 0) this.#markReady();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), this.#opts.initTimeoutMs);
    });
    if (await Promise.race([ready.then(() => false), timedOut])) {
      this.#opts.logger.warn(
        { bucket: this.#subjects.bucket(), timeoutMs: this.#opts.initTimeoutMs },
        "initial advert snapshot not complete; routing with what has arrived",
      );
      this.#markReady();
    }
    clearTimeout(timer);
    if (this.#stopped) return;
    // 0: whoever owns the watcher calls sweep() on a timer of its own (the coordinator does).
    if (this.#opts.sweepIntervalMs === 0) return;
    this.#sweep = setInterval(() => this.sweep(), this.#opts.sweepIntervalMs);
    this.#sweep.unref();
  }

  /** Stops watching and sweeping, and ends every events() stream. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#sweep);
    clearTimeout(this.#rewatch);
    this.#markReady();
    this.#watch?.stop();
    for (const s of this.#streams) s.stop();
    this.#streams.clear();
    await this.#loop;
  }

  /** Calls `fn` synchronously with every change applied; returns the unsubscribe function. */
  onChange(fn: (c: RouterChange) => void): () => void {
    this.#listeners.add(fn);
    return () => {
      this.#listeners.delete(fn);
    };
  }

  /** A stream of every change applied from now on. */
  events(): MeshIterator<RouterChange> {
    const q: MeshQueue<RouterChange> = new MeshQueue<RouterChange>({
      onStop: () => this.#streams.delete(q),
    });
    if (this.#stopped) q.stop();
    else this.#streams.add(q);
    return q;
  }

  /**
   * Runs the stale sweep now (the timer calls this every sweepIntervalMs). With marksStale
   * false it only forgets collectors long unavailable: the owner judges staleness.
   */
  sweep(): RouterChange[] {
    this.#stats.sweeps++;
    this.#checkSilence();
    this.#checkBatching();
    const changes = this.#opts.marksStale ? this.#router.checkStale() : this.#router.forgetSilent();
    for (const c of changes) this.#emit(c);
    return changes;
  }

  /**
   * Publishes a change made directly on the router (e.g. markUnavailable after a no-responders
   * reply) as a CollectorEvent. Listeners are not called: the caller made the change.
   */
  publishChange(c: RouterChange): void {
    const { publishEvents, observedBy } = this.#opts;
    const on = typeof publishEvents === "function" ? publishEvents() : publishEvents;
    if (!on || this.#nc.isClosed()) return;
    const event: CollectorEvent = {
      kind: c.kind,
      collectorId: c.id,
      health: c.health,
      previousHealth: c.previousHealth,
      at: this.#opts.clock.now(),
      advert: c.advert,
      ...(observedBy !== "" ? { observedBy } : {}),
    };
    try {
      this.#nc.publish(this.#subjects.collectorEvent(c.id), encode(CollectorEvent, event));
      this.#stats.published++;
    } catch (err) {
      this.#opts.logger.debug(
        { err: errText(err), collectorId: c.id },
        "collector event not published",
      );
    }
  }

  stats(): RouterWatcherStats {
    return { ...this.#stats };
  }

  /** Opens the watch: the whole bucket first, then (reopening) what came after the last entry. */
  async #openWatch(kv: KV): Promise<void> {
    this.#lastHeard = this.#opts.clock.now();
    let from = this.#lastRevision;
    // A bucket made again since (deleted, or a new store) numbers from 1: read it whole.
    if (from > 0 && (await kv.status()).streamInfo.state.last_seq < from) {
      from = 0;
      this.#lastRevision = 0;
    }
    // The snapshot comes pushed; a large fleet's updates after it, in batches.
    const batched = from > 0 && this.#batches.wants(this.#router.size);
    const w: AdvertWatch = batched
      ? new BatchedWatch(this.#nc, this.#subjects.bucket(), from + 1, this.#opts.batchIntervalMs)
      : await kv.watch(from > 0 ? { resumeFromRevision: from + 1 } : {});
    this.#batches.batched = batched;
    this.#stats.adverts = batched ? "batched" : "pushed";
    if (this.#stopped) {
      w.stop();
      return;
    }
    const old = this.#watch;
    this.#watch = w;
    old?.stop();
    this.#loop = this.#consume(w);
  }

  /**
   * A watch whose consumer died with its server goes silent, and nats.js notices only after two
   * missed idle heartbeats (30 s each once it has recreated the consumer), while the router takes
   * every collector for stale. So the watch is opened again after each reconnect, and whenever no
   * entry at all has come for half the advert TTL while collectors are known (each of them
   * heartbeats more often than that).
   */
  #onLink(change: LinkChange): void {
    this.#disconnected = change === "disconnect";
    if (change === "reconnect") this.#replaceWatch("reconnected");
  }

  #checkSilence(): void {
    if (this.#disconnected) return; // nothing can come; the reconnect opens a new watch
    const silentMs = this.#opts.clock.now() - this.#lastHeard;
    if (this.#router.size === 0 || silentMs < Math.max(MIN_SILENCE_MS, this.#opts.ttlMs / 2)) {
      return;
    }
    const why = `no advert for ${Math.round(silentMs)} ms`;
    this.#batches.failed(why);
    this.#replaceWatch(why);
  }

  /**
   * A fleet that grew to batchAbove collectors has its adverts read in batches from now on, and
   * one that shrank below half of it pushed again (the watch is replaced, from the last entry).
   */
  #checkBatching(): void {
    const p = this.#batches;
    const want = p.wants(this.#router.size);
    if (want === p.batched || this.#disconnected) return;
    p.batched = want;
    this.#replaceWatch(
      `${this.#router.size} collectors: adverts read ${want ? "in batches" : "as pushed"}`,
      false,
    );
  }

  #replaceWatch(why: string, unexpected = true): void {
    const kv = this.#kv;
    if (this.#stopped || this.#nc.isClosed() || kv === undefined) return;
    if (unexpected) this.#stats.rewatches++;
    this.#opts.logger.info({ why }, "advert watch opened again");
    this.#openWatch(kv).catch((err: unknown) => {
      this.#opts.logger.warn({ err: errText(err) }, "advert watch failed; retrying");
      this.#scheduleRewatch();
    });
  }

  async #consume(w: AdvertWatch): Promise<void> {
    try {
      for await (const e of w) this.#apply(e);
    } catch (err) {
      this.#opts.logger.warn({ err: errText(err) }, "advert watch ended with an error");
    }
    // Replaced by a new watch, or stopping: nothing to do.
    if (this.#watch !== w || this.#stopped || this.#nc.isClosed()) return;
    // The watch ended under us (consumer lost): watch again, from the entry after the last one.
    this.#opts.logger.warn("advert watch ended; watching again");
    this.#batches.failed("the batched watch ended");
    this.#scheduleRewatch();
  }

  #scheduleRewatch(): void {
    clearTimeout(this.#rewatch);
    this.#rewatch = setTimeout(() => {
      const kv = this.#kv;
      if (this.#stopped || this.#nc.isClosed() || !kv) return;
      this.#stats.rewatches++;
      this.#openWatch(kv).catch((err: unknown) => {
        this.#opts.logger.warn({ err: errText(err) }, "advert watch failed; retrying");
        this.#scheduleRewatch();
      });
    }, REWATCH_DELAY_MS);
    this.#rewatch.unref();
  }

  #apply(e: AdvertEntry): void {
    this.#lastHeard = this.#opts.clock.now();
    // Revisions only grow: one not past the last applied came from a watch being replaced.
    if (e.revision <= this.#lastRevision) return;
    this.#lastRevision = e.revision;
    this.#stats.entries++;
    try {
      const key = e.key;
      if (e.operation === "PURGE") {
        this.#stats.purges++;
        // nats.js reports a limit marker (2.11+: the advert reached the bucket's max age, so its
        // heartbeats stopped) as PURGE. Older servers expire it silently and the sweep calls it
        // stale; so does this: the collector stays known, out of routing, until it heartbeats
        // again or is forgotten. A graceful stop deletes its advert (DEL): that one has left.
        // With marksStale false the router only notes it: the owner judges it with the others.
        if (this.#opts.marksStale) this.#emit(this.#router.markUnavailable(key, "advert expired"));
        else this.#router.expire(key);
        return;
      }
      if (e.operation === "DEL") {
        this.#warned.delete(key);
        this.#emit(this.#router.remove(key));
        return;
      }
      let advert: CollectorAdvert;
      try {
        advert = decode(CollectorAdvert, e.value, { subject: `${this.#subjects.bucket()}.${key}` });
      } catch (err) {
        this.#invalid(key, errText(err));
        return;
      }
      if (advert.id !== key) {
        this.#invalid(key, `key is not the advert's id '${advert.id}'`);
        return;
      }
      const refused = this.#opts.refuse(advert);
      if (refused !== undefined) {
        this.#invalid(key, refused);
        return;
      }
      this.#warned.delete(key);
      this.#emit(this.#router.upsert(advert));
    } finally {
      if (e.isUpdate) this.#markReady();
    }
  }

  #invalid(key: string, reason: string): void {
    this.#stats.invalid++;
    if (this.#warned.has(key)) return;
    if (this.#warned.size >= MAX_WARNED_KEYS) this.#warned.clear();
    this.#warned.add(key);
    this.#opts.logger.warn(
      { bucket: this.#subjects.bucket(), key, reason },
      "invalid collector advert ignored",
    );
  }

  #emit(c: RouterChange | undefined): void {
    if (c === undefined) return;
    this.#stats.changes++;
    const log = this.#opts.logger;
    const fields = {
      collectorId: c.id,
      kind: c.kind,
      health: c.health,
      previous: c.previousHealth,
    };
    if (c.kind === "stale") log.warn({ ...fields, reason: c.reason }, "collector stale");
    else log.info(fields, `collector ${c.kind}`);
    for (const fn of this.#listeners) {
      try {
        fn(c);
      } catch (err) {
        log.error({ err: errText(err), collectorId: c.id }, "router change listener threw");
      }
    }
    for (const s of this.#streams) s.push(c);
    // The adverts already in the bucket when the watch starts are no news: not published.
    if (this.#ready) this.publishChange(c);
  }

  #markReady(): void {
    if (this.#ready) return;
    this.#ready = true;
    this.#onReady?.();
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
