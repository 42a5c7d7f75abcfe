import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm, type KV, type KvOptions, type KvStatus } from "@nats-io/kv";
import { decode } from "../codec.js";
import { InvalidMessageError } from "../errors.js";
import { silentLogger, type Logger } from "../telemetry/logger.js";
import { CollectorAdvert, DEFAULT_PREFIX, Subjects } from "../../subjects/index.js";
import { DEFAULT_ADVERT_TTL_MS } from "./options.js";

export interface AdvertBucketOptions {
  /** Subject prefix; the bucket is `<prefix>_collectors` (default `daemoneye`). */
  prefix?: string;
  /** Max age of an advert when the bucket is created here (default 3000 ms). */
  ttlMs?: number;
  logger?: Logger;
}

/** Server versions that write a delete marker when an entry reaches its max age. */
const LIMIT_MARKERS_SINCE = [2, 11, 0] as const;

/** True when the connected server writes limit markers (2.11+), so watchers see expiries. */
export function supportsLimitMarkers(nc: NatsConnection): boolean {
  const v = nc.info?.version;
  if (!v) return false;
  const parts = v.split(/[.-]/, 3).map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < 3; i++) {
    const d = (parts[i] ?? 0) - LIMIT_MARKERS_SINCE[i]!;
    if (Number.isNaN(d)) return false;
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * Creates the advert bucket, or binds it when it exists (file storage, history 1, max age =
 * advert TTL; on servers with limit markers, an expiry also reaches watchers). An existing bucket
 * is used as it is: when its settings differ from these, a warning says so, since changing a
 * bucket other routers and collectors share is an operator's decision.
 */
export async function bindAdvertBucket(
  nc: NatsConnection,
  opts: AdvertBucketOptions = {},
): Promise<{ kv: KV; status: KvStatus }> {
  const name = new Subjects(opts.prefix ?? DEFAULT_PREFIX).bucket();
  const ttl = opts.ttlMs ?? DEFAULT_ADVERT_TTL_MS;
  const logger = opts.logger ?? silentLogger;
  const kvOpts: Partial<KvOptions> = { history: 1, ttl, storage: "file" };
  if (supportsLimitMarkers(nc)) kvOpts.markerTTL = Math.max(ttl, 1000);
  const kv = await new Kvm(nc).create(name, kvOpts);
  const status = await kv.status();
  const diffs: string[] = [];
  if (status.ttl !== ttl) diffs.push(`max age ${status.ttl} ms (wanted ${ttl} ms)`);
  if (status.history !== 1) diffs.push(`history ${status.history} (wanted 1)`);
  if (status.storage !== "file") diffs.push(`storage ${status.storage} (wanted file)`);
  if (diffs.length > 0) {
    logger.warn(
      { bucket: name, differences: diffs },
      "advert bucket exists with other settings; using it as it is",
    );
  }
  return { kv, status };
}

/** The advert bucket, created or bound (see bindAdvertBucket). */
export async function openAdvertBucket(
  nc: NatsConnection,
  opts: AdvertBucketOptions = {},
): Promise<KV> {
  return (await bindAdvertBucket(nc, opts)).kv;
}

/**
 * Every advert currently in the bucket, sorted by id, and the keys whose value is not a valid
 * advert for that key (for `collector-mesh status`). Expired adverts may still be listed by
 * servers older than 2.11 until the server removes them.
 */
export async function listAdverts(
  kv: KV,
): Promise<{ adverts: CollectorAdvert[]; invalid: string[] }> {
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  const adverts: CollectorAdvert[] = [];
  const invalid: string[] = [];
  const entries = await Promise.all(keys.map((k) => kv.get(k)));
  for (const e of entries) {
    if (!e || e.operation !== "PUT") continue;
    try {
      const a = decode(CollectorAdvert, e.value, { subject: e.key });
      if (a.id === e.key) adverts.push(a);
      else invalid.push(e.key);
    } catch (err) {
      if (!(err instanceof InvalidMessageError)) throw err;
      invalid.push(e.key);
    }
  }
  adverts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  invalid.sort();
  return { adverts, invalid };
}
