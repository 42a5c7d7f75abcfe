import type { Logger } from "../telemetry/logger.js";
import type { Clock } from "../clock.js";
import type { CollectorAdvert, CollectorHealth, SourceCapName } from "../../subjects/index.js";

/** A collector as the router sees it: one routable instance. */
export interface Candidate {
  readonly id: string;
  /** The latest advert applied (capabilities, capacity, load, labels). */
  readonly advert: CollectorAdvert;
  /** Effective health: the advert's, or Unavailable once stale or marked unavailable. */
  readonly health: CollectorHealth;
  /** health factor × freshness × load factor, in (0, 1]. */
  readonly confidence: number;
  /** Clock time the latest advert was applied. */
  readonly lastSeen: number;
}

/** What a router change was. */
export const RouterChangeKind = {
  Joined: "joined",
  Updated: "updated",
  Stale: "stale",
  Recovered: "recovered",
  Left: "left",
} as const;
export type RouterChangeKind = (typeof RouterChangeKind)[keyof typeof RouterChangeKind];

/** A membership or health change, as the router applied it. */
export interface RouterChange {
  kind: RouterChangeKind;
  id: string;
  /** Effective health after the change (Unavailable for `stale` and `left`). */
  health: CollectorHealth;
  previousHealth?: CollectorHealth;
  /** The advert in force after the change (the last one known, for `stale` and `left`). */
  advert?: CollectorAdvert;
  /** Why a collector went `stale` (heartbeat timeout, or the reason given to markUnavailable). */
  reason?: string;
  /**
   * The advert is a new incarnation of a known collector (another startedAt: it restarted under
   * the same id), so whatever the previous one was running died with it.
   */
  restarted?: boolean;
}

/**
 * A heartbeat that changed neither membership nor health nor capacity: only load (`inFlight`) and
 * freshness. The router tells its followers (see `CapabilityRouter.follow`); it is never a
 * RouterChange, so RouterWatcher does not publish it as a CollectorEvent.
 */
export interface RouterHeartbeat {
  readonly kind: "heartbeat";
  readonly id: string;
  readonly health: CollectorHealth;
  /** The advert just applied. */
  readonly advert: CollectorAdvert;
}

/** What a follower of the router is told: every change, and every heartbeat applied. */
export type RouterUpdate = RouterChange | RouterHeartbeat;

/** The router's answer for one task: the best instance, then the others best first. */
export interface RoutingDecision {
  readonly collectorId: string;
  /** `<p>.collector.<id>.task`. */
  readonly targetSubject: string;
  readonly confidence: number;
  /** Every other routable candidate, best first. */
  readonly fallbacks: readonly Candidate[];
}

export interface RoutingStats {
  /** Registered collectors, in any health. */
  total: number;
  healthy: number;
  degraded: number;
  unavailable: number;
  /** Registered collectors advertising each flag. */
  byCapability: Record<SourceCapName, number>;
  /** findCapable/routeTask calls that found at least one routable candidate. */
  routed: number;
  /** findCapable/routeTask calls that found none (thrown, or all Unavailable). */
  noCapable: number;
}

export interface RouterOptions {
  /** Subject prefix (default `daemoneye`); targetSubject is `<prefix>.collector.<id>.task`. */
  prefix: string;
  /** An advert not refreshed for longer than this is stale (default 30 s = advert TTL). */
  heartbeatTimeoutMs: number;
  /**
   * An advert older than this (but not yet stale) makes its collector suspect (default
   * heartbeatTimeoutMs × 0.75, i.e. 22.5 s = 1.5 × the 15 s refresh: one refresh missed).
   */
  suspectAfterMs: number;
  /**
   * A collector Unavailable and silent for this long is forgotten (`left`) by checkStale, so that
   * crashed instances do not accumulate (default 60000 ms; 0 keeps them forever).
   */
  forgetAfterMs: number;
}

export interface RouterWatcherOptions {
  /** Subject prefix; names the bucket `<prefix>_collectors` (default `daemoneye`). */
  prefix?: string;
  /** Bucket max age when the watcher creates it (default 30 s). */
  ttlMs?: number;
  /** Period of the stale sweep (default 250 ms); 0 runs no timer (the owner calls sweep()). */
  sweepIntervalMs?: number;
  logger?: Logger;
  /** Publish each change as a CollectorEvent on `<prefix>.event.collector.<id>` (default true). */
  publishEvents?: boolean | (() => boolean);
  /** Named in published events as the coordinator that observed them. */
  observedBy?: string;
  /**
   * The sweep marks collectors stale by the age of their advert, and an expired advert (a limit
   * marker) marks its collector stale (default true). false: the owner judges staleness (a
   * coordinator, with its panic threshold), the router only notes expired adverts and the sweep
   * only forgets collectors long unavailable.
   */
  marksStale?: boolean;
  /** Clock for event timestamps (default the system clock). */
  clock?: Clock;
  /** Longest wait for the initial snapshot before start() resolves anyway (default 5000 ms). */
  initTimeoutMs?: number;
  /**
   * A further check of each valid advert: a reason refuses it (counted invalid, logged once per
   * key, the router left as it was). A verifying coordinator refuses adverts without a signing key.
   */
  refuse?: (advert: CollectorAdvert) => string | undefined;
  /**
   * With this many collectors known or more, adverts after the snapshot are read in batches
   * every batchIntervalMs rather than one wake-up each as they are pushed; below half of it,
   * pushed again (default 1,000).
   */
  batchAbove?: number;
  /** How often a large fleet's adverts are read (default 100 ms): a change is seen that much later at most. */
  batchIntervalMs?: number;
}

export interface RouterWatcherStats {
  /** Watch entries received (puts, deletes, purges). */
  entries: number;
  /** Puts that failed to decode or validate, or whose key is not the advert's id. */
  invalid: number;
  /** Changes applied and emitted. */
  changes: number;
  /** Collector events published. */
  published: number;
  /** Stale sweeps run. */
  sweeps: number;
  /** Times the watch was re-created after it ended unexpectedly. */
  rewatches: number;
  /** Max age of the bound bucket (may differ from ttlMs when the bucket already existed). */
  bucketTtlMs: number | undefined;
  /** Purge entries: on 2.11+ mostly the server's limit markers for expired adverts. */
  purges: number;
  /** How expired adverts are learnt: announced by the server, or found by the sweep. */
  expiry: "limit-marker" | "sweep" | undefined;
  /** How adverts after the snapshot are read: pushed one by one, or in batches (batchAbove). */
  adverts: "pushed" | "batched";
}

export interface AdvertiserOptions {
  /** The current advert; heartbeatSeq and heartbeatAt are stamped by the advertiser. */
  advert: () => CollectorAdvert;
  /** Subject prefix; names the bucket (default `daemoneye`). */
  prefix?: string;
  /** Bucket max age when the advertiser creates it (default 30 s). */
  ttlMs?: number;
  /** Refresh period: the advert is put again this often (default ttlMs / 2, 15 s). */
  heartbeatMs?: number;
  /** Least time between two puts made by `changed()` (default 1000 ms; 0: at once). */
  changeIntervalMs?: number;
  /** Each refresh period is varied by ± this share (default 0.1), so a fleet does not put in step. */
  jitter?: number;
  logger?: Logger;
  /** Clock for heartbeatAt (default the system clock). */
  clock?: Clock;
}

export interface AdvertiserStats {
  /** Successful puts. */
  puts: number;
  /** Puts made because something changed (`changed()`), not on the refresh period. */
  changes: number;
  /** Failed puts (logged, retried at the next refresh). */
  failures: number;
  /** heartbeatSeq of the last put attempted. */
  heartbeatSeq: number;
  /** Clock time of the last successful put. */
  lastPutAt: number | undefined;
  lastError: string | undefined;
}
