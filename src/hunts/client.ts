import type { NatsConnection } from "@nats-io/nats-core";
import { decode } from "../codec.js";
import { systemClock, type Clock } from "../clock.js";
import { randomId } from "../structures/ids.js";
import { QueuedIterator, type MeshIterator } from "../structures/iterator.js";
import { ErrorCode, InvalidArgumentError, MeshError } from "../errors.js";
import {
  DEFAULT_PREFIX,
  HUNT_ID_RE,
  HuntPartResult,
  HuntRecord,
  Subjects,
  kvToken,
  parseCaps,
  parsePriority,
  parseSelector,
  type HuntClaim,
  type TaskPriority,
} from "../../subjects/index.js";
import { encodeHunt, isFull, isTaken, openHuntStore, readClaim, readHunt } from "./store.js";
import { updateHunt } from "./store.js";
import { bucketFill, describeFill, hasRoom } from "./room.js";
import { followStream, readStream, type ReadMsg } from "./read.js";
import type { HuntStore } from "./store.js";
import { parseHuntLimits, type HuntLimits } from "./options.js";
import { progressOf, tally, type HuntProgress, type PartCounts } from "./counts.js";

/** What to hunt for: a task for every matching collector, and the hunt's limits. */
export interface HuntSpec extends Partial<HuntLimits> {
  requiredCapabilities: number | string;
  payload?: unknown;
  priority?: TaskPriority | string;
  /** Only collectors whose labels match (selector grammar of subjects/selector.ts). */
  where?: string;
  /** Only these collector ids. */
  collectors?: string[];
  /** Default: a random id. */
  huntId?: string;
}

/** A hunt as `hunt show` sees it: its record, how its parts stand, and each collector's part. */
export interface HuntView {
  readonly record: HuntRecord;
  readonly counts: PartCounts;
  readonly progress: HuntProgress;
  readonly parts: readonly HuntClaim[];
}

export interface HuntsOptions {
  prefix?: string;
  /** Who starts and owns hunts: the identity's name on a secured mesh. */
  owner: string;
  clock?: Clock;
}

/**
 * The hunts library: start, list, show, results, stop and resume, straight on the JetStream
 * buckets and stream that coordinators run hunts from (no coordinator needs to answer). On a
 * secured mesh an identity reaches only the keys and subjects of its own name.
 */
export class Hunts {
  readonly #nc: NatsConnection;
  readonly #s: Subjects;
  readonly #owner: string;
  readonly #clock: Clock;
  #store: Promise<HuntStore> | undefined;

  constructor(nc: NatsConnection, opts: HuntsOptions) {
    this.#nc = nc;
    this.#s = new Subjects(opts.prefix ?? DEFAULT_PREFIX);
    this.#owner = opts.owner;
    this.#clock = opts.clock ?? systemClock;
  }

  #open(): Promise<HuntStore> {
    // A failure is not kept: the buckets may be made by a coordinator that starts later.
    this.#store ??= openHuntStore(this.#nc, this.#s, undefined).catch((err: unknown) => {
      this.#store = undefined;
      throw err;
    });
    return this.#store;
  }

  /** Starts a hunt (refused when the id is taken); resolves to its record. */
  async start(spec: HuntSpec): Promise<HuntRecord> {
    const l = parseHuntLimits(spec);
    const huntId = spec.huntId ?? `h-${randomId(10)}`;
    if (!HUNT_ID_RE.test(huntId)) {
      throw new InvalidArgumentError("huntId", "must be 1 to 128 of A-Z a-z 0-9 _ -");
    }
    if (spec.where !== undefined) parseSelector(spec.where);
    const now = this.#clock.now();
    const record = HuntRecord.parse({
      huntId,
      createdBy: this.#owner,
      createdAt: now,
      expiresAt: now + l.lifeMs,
      requiredCapabilities: parseCaps(spec.requiredCapabilities),
      priority: parsePriority(spec.priority ?? 1),
      ...(spec.payload !== undefined ? { payload: spec.payload } : {}),
      timeoutMs: l.timeoutMs,
      ...(spec.where !== undefined ? { where: spec.where } : {}),
      ...(spec.collectors !== undefined ? { collectors: spec.collectors } : {}),
      ratePerSec: l.ratePerSec,
      maxErrorRate: l.maxErrorRate,
      minParts: l.minParts,
      state: "running",
      stateAt: now,
      changedBy: this.#owner,
      epoch: 0,
    });
    const { hunts } = await this.#open();
    const value = encodeHunt(record);
    // The last tenth of the bucket is for the updates of the hunts there (stop, pause, expiry).
    const fill = await bucketFill(hunts).catch(() => undefined);
    if (fill !== undefined && !hasRoom(fill, value.length)) {
      throw new MeshError(
        ErrorCode.Overloaded,
        `hunt ${huntId} of ${this.#owner} not stored: the hunts bucket is nearly full (${describeFill(fill)}) until hunts expire`,
      );
    }
    try {
      await hunts.create(this.#s.huntKey(this.#owner, huntId), value);
    } catch (err) {
      const [code, why]: [ErrorCode, string] = isTaken(err)
        ? [ErrorCode.InvalidArgument, "exists already: choose another id"]
        : isFull(err)
          ? [ErrorCode.Overloaded, "not stored: the hunts bucket is full until hunts expire"]
          : [ErrorCode.Unavailable, `not stored: ${String(err)}`];
      throw new MeshError(code, `hunt ${huntId} of ${this.#owner} ${why}`, {
        cause: err,
      });
    }
    return record;
  }

  /** An owner's hunts (default: this one's), newest first. */
  async list(owner = this.#owner): Promise<HuntRecord[]> {
    const store = await this.#open();
    const bucket = this.#s.huntsBucket();
    const filter = `$KV.${bucket}.${kvToken(owner)}.*`;
    const out: HuntRecord[] = [];
    for (const m of await readStream(store.js, `KV_${bucket}`, filter, true)) {
      if (m.deleted) continue;
      const r = readHunt({ key: m.subject.slice(bucket.length + 5), value: m.data });
      if ("record" in r) out.push(r.record);
    }
    return out.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** One hunt's record (one read); a MeshError when there is no such hunt. */
  async get(huntId: string, owner = this.#owner): Promise<HuntRecord> {
    const store = await this.#open();
    const e = await store.hunts.get(this.#s.huntKey(owner, huntId));
    const read = e && e.operation === "PUT" ? readHunt(e) : undefined;
    if (read === undefined || "invalid" in read) {
      throw new MeshError(ErrorCode.InvalidArgument, `no hunt ${huntId} of ${owner}`);
    }
    return read.record;
  }

  /** One hunt: its record, counts, progress and every claimed part. */
  async show(huntId: string, owner = this.#owner): Promise<HuntView> {
    const store = await this.#open();
    const key = this.#s.huntKey(owner, huntId);
    const record = await this.get(huntId, owner);
    const bucket = this.#s.huntClaimsBucket();
    const parts: HuntClaim[] = [];
    for (const m of await readStream(store.js, `KV_${bucket}`, `$KV.${bucket}.${key}.*`, true)) {
      if (m.deleted) continue;
      const r = readClaim({ key: m.subject.slice(bucket.length + 5), value: m.data });
      if ("claim" in r) parts.push(r.claim);
    }
    parts.sort((a, b) => a.sentAt - b.sentAt || a.collectorId.localeCompare(b.collectorId));
    const counts = tally(parts);
    const first = parts[0]?.sentAt;
    const progress = progressOf(counts, record.matched, first, this.#clock.now());
    return { record, counts, progress, parts };
  }

  /**
   * A hunt's part results as stored, oldest first; with `follow`, then each new one as it
   * arrives until stopped. Stops with a MeshError when there is no such hunt.
   */
  results(
    huntId: string,
    opts: { owner?: string; follow?: boolean } = {},
  ): MeshIterator<HuntPartResult> {
    const abort = new AbortController();
    const it = new QueuedIterator<HuntPartResult>({ onStop: () => abort.abort() });
    const owner = opts.owner ?? this.#owner;
    const subject = this.#s.huntResultsOf(owner, huntId);
    const push = (m: ReadMsg) => {
      try {
        it.push(decode(HuntPartResult, m.data));
      } catch {
        // not a part result (the stream is written by coordinators only): skipped
      }
    };
    const run = async () => {
      await this.get(huntId, owner); // no such hunt: an error, not an empty list
      const store = await this.#open();
      const stream = this.#s.huntResultsStream();
      if (opts.follow) await followStream(store.js, stream, subject, push, abort.signal);
      else for (const m of await readStream(store.js, stream, subject, false)) push(m);
    };
    run().then(
      () => it.stop(),
      (err: unknown) => it.stop(MeshError.from(err)),
    );
    return it;
  }

  /** Stops a hunt: no part starts any more and parts in flight are cancelled. */
  stop(huntId: string, reason = "stopped by its owner"): Promise<HuntRecord | undefined> {
    return this.#change(huntId, (r) =>
      r.state === "stopped" || r.state === "expired"
        ? undefined
        : { ...r, state: "stopped", reason },
    );
  }

  /** Resumes a paused (or stopped) hunt: the pause threshold counts afresh. */
  resume(huntId: string): Promise<HuntRecord | undefined> {
    return this.#change(huntId, (r) => {
      if (r.state === "running" || r.state === "expired") return undefined;
      const { reason: _reason, ...rest } = r;
      return { ...rest, state: "running", epoch: r.epoch + 1 };
    });
  }

  async #change(
    huntId: string,
    change: (r: HuntRecord) => HuntRecord | undefined,
  ): Promise<HuntRecord | undefined> {
    const store = await this.#open();
    const now = this.#clock.now();
    return updateHunt(store.hunts, this.#s.huntKey(this.#owner, huntId), (r) => {
      const next = change(r);
      return next && { ...next, stateAt: now, changedBy: this.#owner };
    });
  }
}
