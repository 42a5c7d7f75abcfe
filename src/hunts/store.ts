import type { NatsConnection } from "@nats-io/nats-core";
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { Kvm, type KV, type KvEntry } from "@nats-io/kv";
import { clusterReplicas } from "../server/cluster.js";
import { decode, encode } from "../codec.js";
import { silentLogger, type Logger } from "../telemetry/logger.js";
import { ensureStream, recordsStream } from "../durable/streams.js";
import { HuntClaim, HuntRecord, MAX_HUNT_LIFE_MS, parseHuntKey } from "../../subjects/index.js";
import type { Subjects } from "../../subjects/index.js";
import { MeshError, ErrorCode } from "../errors.js";

/** The JetStream side of hunts: the records and claims buckets and the results stream. */
export interface HuntStore {
  readonly hunts: KV;
  readonly claims: KV;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

export interface HuntStoreCreate {
  replicas: number | undefined;
  recordsMaxBytes: number;
  claimsMaxBytes: number;
  resultsMaxBytes: number;
  resultsMaxAgeMs: number;
}

/**
 * Creates (coordinators) or binds (clients) the hunt buckets and stream, each bounded by bytes:
 * a full bucket refuses new keys (a new hunt, a new claim), the results stream drops its oldest.
 * Records and claims expire with the results (max age), so a finished hunt leaves nothing behind.
 * Existing buckets and streams are used as they are.
 */
export async function openHuntStore(
  nc: NatsConnection,
  s: Subjects,
  create: HuntStoreCreate | undefined,
  logger?: Logger,
): Promise<HuntStore> {
  const kvm = new Kvm(nc);
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  if (create === undefined) {
    try {
      // Reads go direct (`DIRECT.GET.<stream>.<key>`, what a submitter may) when the bucket
      // allows it, which binding alone cannot tell.
      const bind = async (name: string) => {
        const allow = (await (await kvm.open(name)).status()).streamInfo.config.allow_direct;
        return kvm.open(name, { allow_direct: allow });
      };
      return {
        hunts: await bind(s.huntsBucket()),
        claims: await bind(s.huntClaimsBucket()),
        js,
        jsm,
      };
    } catch (err) {
      throw new MeshError(
        ErrorCode.Unavailable,
        `no hunt buckets: start a coordinator with JetStream first (${String(err)})`,
        { cause: err },
      );
    }
  }
  const replicas = create.replicas ?? clusterReplicas(nc);
  const kvOpts = { history: 1, storage: "file" as const, replicas, ttl: create.resultsMaxAgeMs };
  const hunts = await kvm.create(s.huntsBucket(), {
    ...kvOpts,
    max_bytes: create.recordsMaxBytes,
  });
  const claims = await kvm.create(s.huntClaimsBucket(), {
    ...kvOpts,
    max_bytes: create.claimsMaxBytes,
  });
  const cfg = recordsStream(s.huntResultsStream(), s.huntResults(), {
    replicas,
    maxAgeMs: Math.max(create.resultsMaxAgeMs, MAX_HUNT_LIFE_MS),
    maxBytes: create.resultsMaxBytes,
    duplicateWindowMs: 120_000,
  });
  // One with other settings (an operator's) is kept as it is.
  await ensureStream(jsm, cfg, logger ?? silentLogger);
  return { hunts, claims, js, jsm };
}

/** A create refused because the key exists (another wrote it first). */
export function isTaken(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}

/** A write refused because the bucket or stream holds its most bytes (discard new). */
export function isFull(err: unknown): boolean {
  return err instanceof JetStreamApiError && /maximum bytes exceeded/i.test(err.message);
}

/** A stored hunt record, checked against its key; undefined (and why) when it is not one. */
export function readHunt(
  e: Pick<KvEntry, "key" | "value">,
): { record: HuntRecord } | { invalid: string } {
  const k = parseHuntKey(e.key);
  if (!k || k.collectorId !== undefined) return { invalid: `not a hunt key: ${e.key}` };
  try {
    const record = decode(HuntRecord, e.value);
    if (record.createdBy !== k.owner || record.huntId !== k.huntId) {
      return { invalid: `${e.key}: createdBy or huntId differs from its key` };
    }
    if (record.expiresAt - record.createdAt > MAX_HUNT_LIFE_MS) {
      return { invalid: `${e.key}: lives longer than 7 days` };
    }
    return { record };
  } catch (err) {
    return { invalid: `${e.key}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** A stored claim, checked against its key. */
export function readClaim(
  e: Pick<KvEntry, "key" | "value">,
): { huntKey: string; claim: HuntClaim } | { invalid: string } {
  const k = parseHuntKey(e.key);
  if (!k || k.collectorId === undefined) return { invalid: `not a claim key: ${e.key}` };
  try {
    const claim = decode(HuntClaim, e.value);
    if (claim.huntId !== k.huntId || claim.collectorId !== k.collectorId) {
      return { invalid: `${e.key}: huntId or collectorId differs from its key` };
    }
    return { huntKey: e.key.slice(0, e.key.lastIndexOf(".")), claim };
  } catch (err) {
    return { invalid: `${e.key}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export const encodeHunt = (r: HuntRecord): Uint8Array => encode(HuntRecord, r);
export const encodeClaim = (c: HuntClaim): Uint8Array => encode(HuntClaim, c);

/**
 * Changes a record by compare-and-set, reading it again on a conflict (another coordinator or
 * the submitter wrote meanwhile). `change` returns undefined to leave it as it is. Resolves to the
 * record written, or undefined.
 */
export async function updateHunt(
  kv: KV,
  key: string,
  change: (r: HuntRecord) => HuntRecord | undefined,
  tries = 5,
): Promise<HuntRecord | undefined> {
  for (let i = 0; i < tries; i++) {
    const e = await kv.get(key);
    if (e === null || e.operation !== "PUT") return undefined;
    const read = readHunt(e);
    if ("invalid" in read) return undefined;
    const next = change(read.record);
    if (next === undefined) return undefined;
    try {
      await kv.update(key, encodeHunt(next), e.revision);
      return next;
    } catch (err) {
      if (i === tries - 1) throw err;
    }
  }
  return undefined;
}

/**
 * Follows every entry of a bucket (the snapshot, then updates) until stopped; a watch that ends
 * under it (its consumer lost) is opened again.
 */
export class BucketFollower {
  readonly #kv: KV;
  readonly #onEntry: (e: KvEntry) => void;
  readonly #logger: Logger;
  #watch: { stop(): void } | undefined;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(kv: KV, onEntry: (e: KvEntry) => void, logger: Logger) {
    this.#kv = kv;
    this.#onEntry = onEntry;
    this.#logger = logger;
    this.#done = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watch?.stop();
    await this.#done;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      try {
        const w = await this.#kv.watch();
        this.#watch = w;
        if (this.#stopped) w.stop();
        for await (const e of w) this.#onEntry(e);
      } catch (err) {
        this.#logger.warn({ err: String(err) }, "hunt watch ended; watching again");
      }
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 250));
    }
  }
}
