import type { NatsConnection } from "@nats-io/nats-core";
import type { KvEntry } from "@nats-io/kv";
import type { Clock } from "../clock.js";
import type { Logger } from "../telemetry/logger.js";
import type { CapabilityRouter, RouterUpdate } from "../router/index.js";
import { encode } from "../codec.js";
import { ErrorCode, MeshError } from "../errors.js";
import {
  HuntPartResult,
  parseHuntKey,
  type HuntClaim,
  type HuntRecord,
} from "../../subjects/index.js";
import type { Subjects } from "../../subjects/index.js";
import { HuntCore, type StartPart } from "./core.js";
import { BucketFollower, encodeClaim, openHuntStore, readClaim, readHunt } from "./store.js";
import { isFull, isTaken, updateHunt, type HuntStore } from "./store.js";
import { parseHuntRunnerOptions, type HuntRunnerOptions } from "./options.js";
import { judgeOrphan, settledClaim, storedResult } from "./settle.js";
import type { PartOutcome, PartPort } from "./types.js";
import { ClaimsRoom, describeFill } from "./room.js";

export interface HuntRunnerDeps {
  nc: NatsConnection;
  subjects: Subjects;
  coordinatorId: string;
  clock: Clock;
  logger: Logger;
  /** Only the mesh's leader starts parts, so a hunt's rate is fleet-wide. */
  leader: () => boolean;
  router: Pick<CapabilityRouter, "follow" | "list">;
  port: PartPort;
}

export interface HuntRunnerStats {
  hunts: number;
  started: number;
  settled: number;
  judged: number;
  paused: number;
  expired: number;
  /** Records and claims in the buckets that failed to decode or did not fit their key. */
  invalid: number;
}

/**
 * Runs hunts on a coordinator: follows the hunt and claim buckets and the router into a HuntCore,
 * and on each tick, while it leads the mesh, does what the core decides: claims and sends parts,
 * stores their outcomes, pauses, expires, judges claims a dead coordinator left `sent`. Every
 * coordinator follows the buckets, so a new leader carries on at once.
 */
export class HuntRunner {
  readonly #d: HuntRunnerDeps;
  readonly #o: HuntRunnerOptions;
  readonly #core: HuntCore;
  /** Parts in flight here, by hunt key and collector id. */
  readonly #inFlight = new Map<string, AbortController>();
  readonly #matchedAt = new Map<string, number>();
  readonly #stats: HuntRunnerStats = {
    hunts: 0,
    ...{ started: 0, settled: 0, judged: 0, paused: 0, expired: 0, invalid: 0 },
  };
  #store: HuntStore | undefined;
  #room: ClaimsRoom | undefined;
  #followers: BucketFollower[] = [];
  #unfollow: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #warned = new Set<string>();
  #stopping = false;

  constructor(deps: HuntRunnerDeps, opts: Partial<HuntRunnerOptions> = {}) {
    this.#d = deps;
    this.#o = parseHuntRunnerOptions(opts);
    this.#core = new HuntCore({ inFlight: (k, id) => this.#inFlight.has(`${k}\n${id}`) });
  }

  async start(): Promise<void> {
    const d = this.#d;
    const store = (this.#store = await openHuntStore(d.nc, d.subjects, this.#o, d.logger));
    this.#room = new ClaimsRoom(store.claims, d.clock, this.#o.roomEveryMs);
    for (const c of d.router.list()) this.#core.collector(viewOf(c.advert, c.health));
    this.#unfollow = d.router.follow((u) => this.#routerUpdate(u));
    this.#followers = [
      new BucketFollower(store.hunts, (e) => this.#huntEntry(e), d.logger),
      new BucketFollower(store.claims, (e) => this.#claimEntry(e), d.logger),
    ];
    this.#timer = setInterval(() => this.tick(), this.#o.tickMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#unfollow?.();
    this.#stopping = true;
    await Promise.all(this.#followers.map((f) => f.stop()));
  }

  stats(): HuntRunnerStats {
    return { ...this.#stats, hunts: this.#core.size };
  }

  #routerUpdate(u: RouterUpdate): void {
    if (u.kind === "heartbeat") return;
    if (u.kind === "left") this.#core.collectorGone(u.id);
    else if (u.advert) this.#core.collector(viewOf(u.advert, u.health));
  }

  #huntEntry(e: KvEntry): void {
    if (e.operation !== "PUT") return this.#core.putHunt(e.key, undefined);
    const r = readHunt(e);
    if ("invalid" in r) return this.#invalid(r.invalid);
    this.#core.putHunt(e.key, r.record, e.revision);
  }

  #claimEntry(e: KvEntry): void {
    if (e.operation !== "PUT") {
      const k = parseHuntKey(e.key);
      if (k?.collectorId === undefined) return;
      return this.#core.putClaim(e.key.slice(0, e.key.lastIndexOf(".")), k.collectorId, undefined);
    }
    const r = readClaim(e);
    if ("invalid" in r) return this.#invalid(r.invalid);
    this.#core.putClaim(r.huntKey, r.claim.collectorId, r.claim, e.revision);
  }

  #invalid(why: string): void {
    this.#stats.invalid++;
    if (this.#warned.size < 1000 && !this.#warned.has(why)) {
      this.#warned.add(why);
      this.#d.logger.warn({ why }, "invalid hunt entry ignored");
    }
  }

  /** One planning round (the runner's timer calls it; tests may too). */
  tick(): void {
    const store = this.#store;
    if (store === undefined || !this.#d.leader()) return;
    const now = this.#d.clock.now();
    const room = this.#room;
    const plan = this.#core.plan(now, { start: room?.hasRoom() ?? true });
    for (const s of plan.start) void this.#run(store, s, now);
    room?.refresh();
    for (const key of plan.blocked) {
      const fill = room?.fill;
      void this.#pause(
        store,
        key,
        `the hunt claims bucket is nearly full (${fill ? describeFill(fill) : "?"}): no new part starts until hunts expire`,
      );
    }
    for (const key of plan.cancel) this.#cancel(key);
    for (const { key, reason } of plan.pause) void this.#pause(store, key, reason);
    for (const key of plan.expire) {
      void this.#setState(store, key, (r) =>
        r.state === "running" || r.state === "paused"
          ? { ...r, state: "expired", reason: `expired at ${new Date(r.expiresAt).toISOString()}` }
          : undefined,
      ).then((r) => r && this.#stats.expired++);
    }
    for (const j of plan.judge) void this.#judge(store, j.key, j.claim, j.revision);
    for (const { key, matched } of plan.matched) {
      if (now - (this.#matchedAt.get(key) ?? 0) < this.#o.matchedEveryMs) continue;
      this.#matchedAt.set(key, now);
      void updateHunt(store.hunts, key, (r) =>
        r.matched === matched ? undefined : { ...r, matched },
      ).catch(() => undefined);
    }
  }

  async #pause(store: HuntStore, key: string, reason: string): Promise<void> {
    const r = await this.#setState(store, key, (h) =>
      h.state === "running" ? { ...h, state: "paused", reason } : undefined,
    );
    if (r) this.#stats.paused++;
  }

  #setState(
    store: HuntStore,
    key: string,
    change: (r: HuntRecord) => HuntRecord | undefined,
  ): Promise<HuntRecord | undefined> {
    const now = this.#d.clock.now();
    const by = this.#d.coordinatorId;
    return updateHunt(store.hunts, key, (r) => {
      const next = change(r);
      return next && { ...next, stateAt: now, changedBy: by };
    }).catch((err: unknown) => {
      this.#d.logger.warn({ key, err: String(err) }, "hunt state not written");
      return undefined;
    });
  }

  #cancel(huntKey: string): void {
    for (const [k, a] of this.#inFlight) if (k.startsWith(`${huntKey}\n`)) a.abort();
  }

  /** Claims a part (create, or update a lost one by revision), runs it, stores and settles it. */
  async #run(store: HuntStore, s: StartPart, now: number): Promise<void> {
    const d = this.#d;
    const h = s.hunt;
    const key = d.subjects.huntClaimKey(h.createdBy, h.huntId, s.collectorId);
    const local = `${s.key}\n${s.collectorId}`;
    const claim: HuntClaim = {
      huntId: h.huntId,
      collectorId: s.collectorId,
      coordinatorId: d.coordinatorId,
      incarnation: s.incarnation,
      epoch: h.epoch,
      runs: s.runs,
      state: "sent",
      sentAt: now,
      deadline: now + h.timeoutMs + this.#o.judgeGraceMs,
    };
    const abort = new AbortController();
    this.#inFlight.set(local, abort);
    try {
      let revision: number;
      try {
        revision =
          s.revision === undefined
            ? await store.claims.create(key, encodeClaim(claim))
            : await store.claims.update(key, encodeClaim(claim), s.revision);
      } catch (err) {
        // Claimed already (another leader, a restart): the watch brings its claim.
        if (!isTaken(err)) await this.#notClaimed(store, s, key, err);
        return;
      }
      this.#room?.stored();
      this.#stats.started++;
      let outcome = await d.port
        .run(s.collectorId, h, abort.signal)
        .catch((err: unknown): PartOutcome => ({ state: "error", code: codeOf(err), results: [] }));
      // Its coordinator stopped under it: it may or may not have run (it runs again only on
      // another incarnation of the collector, like every lost part).
      if (this.#stopping && outcome.code === ErrorCode.Stopped) {
        outcome = { ...outcome, state: "lost" };
      }
      const at = d.clock.now();
      if (outcome.notReached) {
        // Never sent: the claim goes, and the part waits for the collector to be routable again.
        await store.claims.delete(key, { previousSeq: revision }).catch(() => undefined);
        return;
      }
      const stored = storedResult(h, claim, outcome, at, this.#o.partMaxBytes);
      const subject = d.subjects.huntResult(h.createdBy, h.huntId, s.collectorId);
      await store.js
        .publish(subject, encode(HuntPartResult, stored), {
          msgID: `${h.huntId}.${claim.runs}.${s.collectorId}`,
        })
        .catch((err: unknown) => d.logger.warn({ subject, err: String(err) }, "part not stored"));
      await store.claims
        .update(key, encodeClaim(settledClaim(claim, outcome, at)), revision)
        .then(() => this.#stats.settled++)
        .catch(() => undefined); // judged meanwhile by another leader: its verdict stands
    } finally {
      this.#inFlight.delete(local);
    }
  }

  /**
   * A claim the bucket did not store: the core hears what the bucket holds (so the part is
   * offered again), and a full claims bucket pauses the hunt, saying so, until it is resumed.
   */
  async #notClaimed(store: HuntStore, s: StartPart, key: string, err: unknown): Promise<void> {
    const e = await store.claims.get(key).catch(() => null);
    const r = e?.operation === "PUT" ? readClaim(e) : undefined;
    const claim = r !== undefined && "claim" in r ? r.claim : undefined;
    this.#core.putClaim(s.key, s.collectorId, claim, e?.revision);
    if (!isFull(err)) {
      this.#d.logger.warn({ key, err: String(err) }, "part not claimed; offered again");
      return;
    }
    const reason = `the hunt claims bucket is full (maximum bytes): no part for ${s.collectorId} was sent`;
    await this.#pause(store, s.key, reason);
  }

  async #judge(
    store: HuntStore,
    huntKey: string,
    claim: HuntClaim,
    revision: number,
  ): Promise<void> {
    const d = this.#d;
    const hunt = this.#core.hunt(huntKey);
    if (hunt === undefined) return;
    const subject = d.subjects.huntResult(hunt.createdBy, claim.huntId, claim.collectorId);
    const judged = await judgeOrphan(
      store,
      d.subjects.huntResultsStream(),
      subject,
      claim,
      d.clock.now(),
    );
    const key = d.subjects.huntClaimKey(hunt.createdBy, claim.huntId, claim.collectorId);
    await store.claims
      .update(key, encodeClaim(judged), revision)
      .then(() => this.#stats.judged++)
      .catch(() => undefined);
  }
}

function viewOf(advert: RouterUpdate["advert"] & object, health: string) {
  return { advert, routable: health !== "unavailable" };
}

function codeOf(err: unknown): ErrorCode {
  return MeshError.from(err).code;
}
