import type { NatsConnection } from "@nats-io/nats-core";
import type { Clock } from "../clock.js";
import type { Logger } from "../telemetry/logger.js";
import { DeliverPolicy, jetstream, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";

/** What the watcher reads of a bucket entry (a nats.js KvWatchEntry has all of it). */
export interface AdvertEntry {
  readonly key: string;
  readonly revision: number;
  readonly operation: "PUT" | "DEL" | "PURGE";
  readonly value: Uint8Array;
  /** Past the snapshot the watch began with. */
  readonly isUpdate: boolean;
}

/** A watch of the advert bucket: its entries in revision order, until stopped. */
export interface AdvertWatch extends AsyncIterable<AdvertEntry> {
  stop(): void;
}

/**
 * When a watcher reads in batches: from `above` collectors on, until below half of it (so that a
 * fleet near the line does not switch back and forth); not for a TTL after a batched watch
 * failed (ended, or went silent: its pulls refused, say), when pushed adverts are read instead.
 */
export class BatchPolicy {
  /** Whether the watch open reads in batches. */
  batched = false;
  #noBatchUntil = 0;
  readonly #o: BatchPolicyOptions;

  constructor(o: BatchPolicyOptions) {
    this.#o = o;
  }

  wants(size: number): boolean {
    if (this.#o.clock.now() < this.#noBatchUntil) return false;
    return this.batched ? size >= this.#o.batchAbove / 2 : size >= this.#o.batchAbove;
  }

  /** The batched watch failed (`why`): pushed for one TTL. Nothing when it was not batched. */
  failed(why: string): void {
    if (!this.batched) return;
    this.batched = false;
    this.#noBatchUntil = this.#o.clock.now() + this.#o.ttlMs;
    this.#o.logger.warn({ why, forMs: this.#o.ttlMs }, "batched advert reads failed; pushed");
  }
}

interface BatchPolicyOptions {
  readonly batchAbove: number;
  /** Batches are held off this long after a failure. */
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Most entries fetched in one go. */
const MAX_BATCH = 10_000;
/** A fetch waits this long at most for entries that left the stream between count and fetch. */
const FETCH_EXPIRES_MS = 1000;

/**
 * The advert bucket read in batches, from a revision on: every `intervalMs` it asks how many
 * entries are pending and fetches that many, so that they arrive together. A watch that pushes
 * each entry as it is written (kv.watch) wakes its reader once per advert: with a large fleet,
 * hundreds of times a second, each wake-up costing more than the advert it brings. The entries
 * are those kv.watch gives (an expired advert's limit marker is a PURGE), later by up to the
 * interval. It reads an ordered consumer of the bucket's stream; an error (the consumer or its
 * server gone) ends the iteration with it, and the watcher opens a new watch.
 */
export class BatchedWatch implements AdvertWatch {
  readonly #nc: NatsConnection;
  readonly #bucket: string;
  readonly #from: number;
  readonly #intervalMs: number;
  #stopped = false;
  #wake: (() => void) | undefined;
  /** The fetch under way: stopping ends it at once. */
  #batch: ConsumerMessages | undefined;

  constructor(nc: NatsConnection, bucket: string, fromRevision: number, intervalMs: number) {
    this.#nc = nc;
    this.#bucket = bucket;
    this.#from = Math.max(1, fromRevision);
    this.#intervalMs = intervalMs;
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
    this.#batch?.stop();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AdvertEntry> {
    const prefix = `$KV.${this.#bucket}.`;
    const consumer = await jetstream(this.#nc).consumers.get(`KV_${this.#bucket}`, {
      // One subject, as a string: a list is a filter of 2.10 and later.
      filter_subjects: `${prefix}>`,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#from,
    });
    try {
      while (!this.#stopped) {
        const pending = (await consumer.info()).num_pending;
        if (pending > 0 && !this.#stopped) {
          const max_messages = Math.min(pending, MAX_BATCH);
          const batch = await consumer.fetch({ max_messages, expires: FETCH_EXPIRES_MS });
          this.#batch = batch;
          if (this.#stopped) batch.stop();
          try {
            for await (const m of batch) {
              yield entryOf(m, prefix.length);
              if (this.#stopped) break;
            }
          } finally {
            this.#batch = undefined;
          }
        }
        if (pending < MAX_BATCH) await this.#sleep();
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }

  #sleep(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, this.#intervalMs);
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

/** The entry kv.watch makes of a stored message (nats.js kv.js, jmToWatchEntry). */
function entryOf(m: JsMsg, prefixLength: number): AdvertEntry {
  const h = m.headers;
  let operation: AdvertEntry["operation"] = "PUT";
  if (h !== undefined) {
    const op = h.get("KV-Operation");
    if (op === "DEL" || op === "PURGE") operation = op;
    if (h.get("Nats-Marker-Reason") === "MaxAge") operation = "PURGE";
  }
  return {
    key: m.subject.substring(prefixLength),
    revision: m.seq,
    operation,
    value: m.data,
    isUpdate: true,
  };
}
