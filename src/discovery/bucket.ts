import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm, type KV, type KvOptions, type KvStatus } from "@nats-io/kv";
import { decode } from "../codec.js";
import { InvalidMessageError } from "../errors.js";
import { silentLogger, type Logger } from "../telemetry/logger.js";
import {
  CollectorAdvert,
  DEFAULT_PREFIX,
  MAX_ADVERT_BYTES,
  Subjects,
} from "../../subjects/index.js";
import { DEFAULT_ADVERT_TTL_MS } from "../router/options.js";
import { atLeast } from "../server/versions.js";
import { clusterReplicas } from "../server/cluster.js";

export interface AdvertBucketOptions {
  /** Subject prefix; the bucket is `<prefix>_collectors` (default `daemoneye`). */
  prefix?: string;
  /** Max age of an advert when the bucket is created here (default 3000 ms). */
  ttlMs?: number;
  logger?: Logger;
  /**
   * On a server with limit markers, turn them on in a bucket that an older server made (default
   * false: collectors bind as they find it; coordinators upgrade).
   */
  upgrade?: boolean;
  /** Replicas when the bucket is created here (default: the cluster's size, up to 3). */
  replicas?: number;
}

/** What binding found. */
export interface AdvertBucket {
  kv: KV;
  status: KvStatus;
  /** True when the server announces expired adverts to watchers (a limit marker, 2.11+). */
  limitMarkers: boolean;
  /** True when this call turned limit markers on in an existing bucket. */
  upgraded: boolean;
}

/** True when the connected server writes limit markers (2.11+), so watchers see expiries. */
export function supportsLimitMarkers(nc: NatsConnection): boolean {
  return atLeast(nc.info?.version, "2.11.0");
}

/**
 * Creates the advert bucket, or binds it when it exists (file storage, history 1, max age =
 * advert TTL; on servers with limit markers, an expiry also reaches watchers). An existing bucket
 * is used as it is, with one exception: with `upgrade`, a bucket made before the server had limit
 * markers gets them (an upgrade that only adds announcements; nothing stored changes). When other
 * settings differ from these, a warning says so, since changing a bucket other routers and
 * collectors share is an operator's decision.
 */
export async function bindAdvertBucket(
  nc: NatsConnection,
  opts: AdvertBucketOptions = {},
): Promise<AdvertBucket> {
  const name = new Subjects(opts.prefix ?? DEFAULT_PREFIX).bucket();
  const ttl = opts.ttlMs ?? DEFAULT_ADVERT_TTL_MS;
  const logger = opts.logger ?? silentLogger;
  const replicas = opts.replicas ?? clusterReplicas(nc);
  // The server refuses a value past an advert's bound: it is never stored, nor sent to watchers.
  const kvOpts: Partial<KvOptions> = {
    history: 1,
    ttl,
    storage: "file",
    replicas,
    maxValueSize: MAX_ADVERT_BYTES,
  };
  const serverMarkers = supportsLimitMarkers(nc);
  if (serverMarkers) kvOpts.markerTTL = markerTtl(ttl);
  const kv = await new Kvm(nc).create(name, kvOpts);
  let status = await kv.status();
  let upgraded = false;
  if (serverMarkers && status.markerTTL === 0 && opts.upgrade === true) {
    upgraded = await enableLimitMarkers(nc, status.streamInfo.config.name, ttl, logger);
    if (upgraded) status = await kv.status();
  }
  const diffs: string[] = [];
  if (status.ttl !== ttl) diffs.push(`max age ${status.ttl} ms (wanted ${ttl} ms)`);
  if (status.history !== 1) diffs.push(`history ${status.history} (wanted 1)`);
  if (status.storage !== "file") diffs.push(`storage ${status.storage} (wanted file)`);
  if (status.maxValueSize !== MAX_ADVERT_BYTES) {
    diffs.push(`max value size ${status.maxValueSize} (wanted ${MAX_ADVERT_BYTES})`);
  }
  if (diffs.length > 0) {
    logger.warn(
      { bucket: name, differences: diffs },
      "advert bucket exists with other settings; using it as it is",
    );
  }
  return { kv, status, limitMarkers: serverMarkers && status.markerTTL > 0, upgraded };
}

/** How long a limit marker stays (the server's minimum is 1 s). */
function markerTtl(ttl: number): number {
  return Math.max(ttl, 1000);
}

/** Turns on limit markers in an existing bucket's stream; false (with a warning) when refused. */
async function enableLimitMarkers(
  nc: NatsConnection,
  stream: string,
  ttl: number,
  logger: Logger,
): Promise<boolean> {
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    await jsm.streams.update(stream, {
      ...info.config,
      allow_msg_ttl: true,
      subject_delete_marker_ttl: markerTtl(ttl) * 1_000_000,
    });
    logger.info({ stream }, "advert bucket upgraded: the server now announces expired adverts");
    return true;
  } catch (err) {
    logger.warn(
      { stream, err: err instanceof Error ? err.message : String(err) },
      "advert bucket not upgraded to limit markers; expired adverts are found by the sweep",
    );
    return false;
  }
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
  // A key listing can name a key twice (its consumer started again while it ran): one read each.
  const keys = new Set<string>();
  for await (const k of await kv.keys()) keys.add(k);
  const adverts: CollectorAdvert[] = [];
  const invalid: string[] = [];
  const entries = await Promise.all([...keys].map((k) => kv.get(k)));
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
