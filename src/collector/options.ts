import type { Logger } from "pino";
import { InvalidArgumentError } from "../errors.js";
import { positiveInts, rejectUnknownKeys, stripUndefined } from "../options.js";
import {
  DEFAULT_ADVERT_TTL_MS,
  DEFAULT_HEARTBEAT_MS,
  refreshPeriodFor,
} from "../router/options.js";
import { ALL_CAPS, DEFAULT_PREFIX, checkPrefix, checkToken } from "../../subjects/index.js";
import type { Clock } from "../clock.js";
import { systemClock } from "../clock.js";
import { silentLogger } from "../telemetry/logger.js";
import { VERSION } from "../version.js";
import type { SignSpec } from "../signing.js";
import type { TaskHandler } from "./types.js";

export const DEFAULT_MAX_CONCURRENCY = 4;
export const DEFAULT_MAX_QUEUED = 10_000;
/** Advert refresh period and TTL: the discovery defaults (15 s and 30 s). */
export { DEFAULT_HEARTBEAT_MS };
export const DEFAULT_TTL_MS = DEFAULT_ADVERT_TTL_MS;
export const DEFAULT_DRAIN_GRACE_MS = 5000;
/** How long start() waits for a live collector with the same id to answer its probe. */
export const DEFAULT_DUPLICATE_PROBE_MS = 500;
/** A running handler says it is alive this often (well within the coordinator's 5 s attempt). */
export const DEFAULT_PROGRESS_MS = 1000;
/** Largest task message a collector accepts; larger ones get INVALID_MESSAGE before parsing. */
export const DEFAULT_MAX_TASK_BYTES = 256 * 1024;

export interface CollectorOptions {
  id: string;
  type: string;
  capabilities: number;
  handler: TaskHandler;
  maxConcurrency: number;
  /** Tasks accepted beyond maxConcurrency wait in the collector's own priority queue, up to this. */
  maxQueued: number;
  /**
   * Labels in the advert, for selectors (`--where role=web`). The standard ones (host, os,
   * kernel, zone, type, version) are added unless `standardLabels` is false; these win over them.
   */
  labels: Record<string, string>;
  /** The zone label (a data centre, region or network segment); none by default. */
  zone: string | undefined;
  /** Advertise the standard labels (default true). */
  standardLabels: boolean;
  /** Relative weight for weighted balancing. */
  weight: number;
  prefix: string;
  /**
   * Advert refresh period (default half of ttlMs). The advert is also put at once when health
   * changes, and when load crosses a level (half of maxConcurrency, full), at most once a second.
   */
  heartbeatMs: number;
  /** Advert TTL: the bucket's max age when this collector creates it (default 30 s). */
  ttlMs: number;
  /** Also serve the plain path (`<p>.task.<domain>.*`, queue group `<p>.<domain>`). */
  plainPath: boolean;
  /** How long stop() lets in-flight tasks finish before aborting them. */
  drainGraceMs: number;
  /** Largest task message accepted (bytes); checked before the message is parsed. */
  maxTaskBytes: number;
  /** How long start() waits for a live collector with the same id to answer its probe. */
  duplicateProbeMs: number;
  /** How often a running task's progress is sent to its reply subject. */
  progressMs: number;
  /**
   * Sign every Result (ed25519 over its bytes, header `Mesh-Signature`) and put the public key in
   * the advert: true for a key made at start, or `{ nkeySeed }` for the collector's nkey. Off
   * (undefined) by default.
   */
  sign: SignSpec | undefined;
  version: string;
  logger: Logger;
  clock: Clock;
}

export type CollectorInit = Pick<CollectorOptions, "id" | "type" | "capabilities" | "handler"> &
  Partial<Omit<CollectorOptions, "id" | "type" | "capabilities" | "handler">>;

const KNOWN: readonly (keyof CollectorOptions)[] = [
  "id",
  "type",
  "capabilities",
  "handler",
  "maxConcurrency",
  "maxQueued",
  "labels",
  "zone",
  "standardLabels",
  "weight",
  "prefix",
  "heartbeatMs",
  "ttlMs",
  "plainPath",
  "drainGraceMs",
  "maxTaskBytes",
  "duplicateProbeMs",
  "progressMs",
  "sign",
  "version",
  "logger",
  "clock",
];

export function parseCollectorOptions(init: CollectorInit): CollectorOptions {
  rejectUnknownKeys("collector", init, KNOWN);
  const merged = {
    maxConcurrency: DEFAULT_MAX_CONCURRENCY,
    maxQueued: DEFAULT_MAX_QUEUED,
    labels: {},
    zone: undefined,
    standardLabels: true,
    weight: 1,
    prefix: DEFAULT_PREFIX,
    ttlMs: DEFAULT_TTL_MS,
    plainPath: true,
    drainGraceMs: DEFAULT_DRAIN_GRACE_MS,
    maxTaskBytes: DEFAULT_MAX_TASK_BYTES,
    duplicateProbeMs: DEFAULT_DUPLICATE_PROBE_MS,
    progressMs: DEFAULT_PROGRESS_MS,
    sign: undefined,
    version: VERSION,
    logger: silentLogger,
    clock: systemClock,
    ...(stripUndefined(init) as CollectorInit),
  };
  const o: CollectorOptions = {
    ...merged,
    heartbeatMs: merged.heartbeatMs ?? refreshPeriodFor(merged.ttlMs),
  };
  checkToken("collector id", o.id);
  checkPrefix(o.prefix);
  if (typeof o.handler !== "function")
    throw new InvalidArgumentError("handler", "must be a function");
  if (!o.type || o.type.length > 64)
    throw new InvalidArgumentError("type", "must be 1-64 characters");
  if (
    !Number.isInteger(o.capabilities) ||
    o.capabilities <= 0 ||
    (o.capabilities & ~ALL_CAPS) !== 0
  ) {
    throw new InvalidArgumentError("capabilities", "must be non-zero SourceCaps flags");
  }
  positiveInts(o, [
    "maxConcurrency",
    "maxQueued",
    "weight",
    "heartbeatMs",
    "ttlMs",
    "maxTaskBytes",
    "duplicateProbeMs",
    "progressMs",
  ]);
  if (o.ttlMs <= o.heartbeatMs) throw new InvalidArgumentError("ttlMs", "must exceed heartbeatMs");
  if (!(o.drainGraceMs >= 0)) throw new InvalidArgumentError("drainGraceMs", "must be >= 0");
  const sign: unknown = o.sign;
  if (
    sign !== undefined &&
    sign !== true &&
    typeof (sign as { nkeySeed?: unknown }).nkeySeed !== "string"
  ) {
    throw new InvalidArgumentError("sign", "must be true or { nkeySeed }");
  }
  return o;
}
