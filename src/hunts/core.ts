import { Selector, hasCaps } from "../../subjects/index.js";
import type { CollectorAdvert, HuntClaim, HuntRecord, PartState } from "../../subjects/index.js";
import { RateGate } from "./rate.js";
import { tally, type PartCounts } from "./counts.js";

/** A collector as the runner sees it: its advert and whether it can take work now. */
export interface CollectorView {
  readonly advert: CollectorAdvert;
  readonly routable: boolean;
}

/** A part to send: create its claim (runs 1) or, for a lost part, update it (revision). */
export interface StartPart {
  readonly key: string;
  readonly hunt: HuntRecord;
  readonly collectorId: string;
  readonly incarnation: number;
  readonly runs: number;
  /** The claim's revision when it is a re-run of a lost part. */
  readonly revision?: number;
}

/** What the runner should do now: decisions as data. */
export interface HuntPlan {
  readonly start: StartPart[];
  readonly pause: { key: string; reason: string }[];
  readonly expire: string[];
  /** Claims still `sent` past their deadline, sent by no part this runner holds. */
  readonly judge: { key: string; collectorId: string; claim: HuntClaim; revision: number }[];
  /** Hunts no longer running whose parts in flight should be cancelled. */
  readonly cancel: string[];
  /** Hunts whose count of matching collectors changed (written into the record now and then). */
  readonly matched: { key: string; matched: number }[];
  /** Running hunts with parts waiting that may not start (no room for their claims): to pause. */
  readonly blocked: string[];
}

/** What a round may do: `start` false when parts may not start now. */
export interface PlanOptions {
  readonly start?: boolean;
}

interface ClaimEntry {
  claim: HuntClaim;
  revision: number;
}

interface HuntEntry {
  record: HuntRecord;
  revision: number;
  selector: Selector | undefined;
  named: Set<string> | undefined;
  claims: Map<string, ClaimEntry>;
  /** Collectors to send a part to, in arrival order. */
  pending: Set<string>;
  gate: RateGate;
  /** A decision already made for this revision of the record (pause, expire, cancel). */
  decided: number;
  /** Matching collectors, and the count last reported. */
  matchedNow: Set<string>;
  matchedReported: number | undefined;
  /** Claims handed out to be judged, until the bucket answers. */
  judging: Set<string>;
}

export interface HuntCoreOptions {
  /** Parts this process has in flight (by claim key): never judged, never sent twice. */
  readonly inFlight: (huntKey: string, collectorId: string) => boolean;
}

const SETTLED_AGAIN: readonly PartState[] = ["lost"];

/**
 * The pure core of the hunt runner: which collector gets a part, when a hunt pauses or expires,
 * which orphaned claims to judge. Fed by the hunt and claim buckets and the router, asked to
 * `plan(now)` on each tick. A part goes to a collector at most once per stable id; a lost part
 * (its collector left while running it) goes again to a later incarnation of that collector.
 */
export class HuntCore {
  readonly #hunts = new Map<string, HuntEntry>();
  readonly #collectors = new Map<string, CollectorView>();
  readonly #opts: HuntCoreOptions;

  constructor(opts: HuntCoreOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#hunts.size;
  }

  hunt(key: string): HuntRecord | undefined {
    return this.#hunts.get(key)?.record;
  }

  /** Counts of a hunt's parts (all epochs, and since the last resume). */
  counts(key: string): { all: PartCounts; epoch: PartCounts } | undefined {
    const h = this.#hunts.get(key);
    if (!h) return undefined;
    const claims = [...h.claims.values()].map((c) => c.claim);
    const epoch = claims.filter((c) => c.epoch === h.record.epoch);
    return { all: tally(claims), epoch: tally(epoch) };
  }

  /** A hunt record as stored (validated), or undefined when it was deleted. */
  putHunt(key: string, record: HuntRecord | undefined, revision = 0): void {
    if (record === undefined) {
      this.#hunts.delete(key);
      return;
    }
    const old = this.#hunts.get(key);
    if (old && old.revision > revision) return;
    const h: HuntEntry = old ?? {
      record,
      revision,
      selector: record.where ? new Selector(record.where) : undefined,
      named: record.collectors ? new Set(record.collectors) : undefined,
      claims: new Map(),
      pending: new Set(),
      gate: new RateGate(record.ratePerSec),
      decided: -1,
      matchedNow: new Set(),
      matchedReported: record.matched,
      judging: new Set(),
    };
    const wasRunning = old?.record.state === "running" && old.record.epoch === record.epoch;
    h.record = record;
    h.revision = revision;
    h.matchedReported = record.matched;
    this.#hunts.set(key, h);
    if (record.state === "running" && !wasRunning) {
      for (const [id, c] of this.#collectors) this.#offer(h, id, c);
    }
  }

  /** A claim as stored, or undefined when it was deleted. */
  putClaim(huntKey: string, collectorId: string, claim: HuntClaim | undefined, revision = 0): void {
    const h = this.#hunts.get(huntKey);
    if (!h) return;
    h.judging.delete(collectorId);
    if (claim === undefined) {
      h.claims.delete(collectorId);
      const view = this.#collectors.get(collectorId);
      if (view) this.#offer(h, collectorId, view);
    } else {
      const old = h.claims.get(collectorId);
      if (old && old.revision > revision) return;
      h.claims.set(collectorId, { claim, revision });
    }
  }

  /** A collector joined, changed or recovered (router change); `routable` false when stale. */
  collector(view: CollectorView): void {
    const id = view.advert.id;
    this.#collectors.set(id, view);
    for (const h of this.#hunts.values()) this.#offer(h, id, view);
  }

  /** A collector left the router. */
  collectorGone(id: string): void {
    this.#collectors.delete(id);
    for (const h of this.#hunts.values()) {
      h.pending.delete(id);
      h.matchedNow.delete(id);
    }
  }

  #matches(h: HuntEntry, a: CollectorAdvert): boolean {
    if (!hasCaps(a.capabilities, h.record.requiredCapabilities)) return false;
    if (h.named && !h.named.has(a.id)) return false;
    return h.selector === undefined || h.selector.matches(a);
  }

  #offer(h: HuntEntry, id: string, view: CollectorView): void {
    if (!this.#matches(h, view.advert)) {
      h.pending.delete(id);
      h.matchedNow.delete(id);
      return;
    }
    h.matchedNow.add(id);
    if (h.record.state !== "running" || !view.routable) return;
    if (this.#wants(h, id, view)) h.pending.add(id);
  }

  /** No claim yet, or a lost part and the collector has restarted since. */
  #wants(h: HuntEntry, id: string, view: CollectorView): boolean {
    const c = h.claims.get(id)?.claim;
    if (c === undefined) return true;
    return SETTLED_AGAIN.includes(c.state) && c.incarnation !== view.advert.startedAt;
  }

  /** What to do at `now`. Starts at most each hunt's rate; marks what it decided. */
  plan(now: number, opts: PlanOptions = {}): HuntPlan {
    const plan: HuntPlan = {
      ...{ start: [], pause: [], expire: [], judge: [], cancel: [], matched: [] },
      blocked: [],
    };
    for (const [key, h] of this.#hunts) {
      const r = h.record;
      if (h.matchedNow.size !== h.matchedReported) {
        plan.matched.push({ key, matched: h.matchedNow.size });
      }
      this.#judge(key, h, now, plan);
      if (r.state !== "running") {
        if (r.state === "stopped" && h.decided !== h.revision) {
          h.decided = h.revision;
          plan.cancel.push(key);
        }
        h.pending.clear();
        if (r.state === "paused" && now >= r.expiresAt && h.decided !== h.revision) {
          h.decided = h.revision;
          plan.expire.push(key);
        }
        continue;
      }
      if (h.decided === h.revision) continue;
      if (now >= r.expiresAt) {
        h.decided = h.revision;
        plan.expire.push(key);
        continue;
      }
      const reason = this.#overThreshold(h);
      if (reason !== undefined) {
        h.decided = h.revision;
        plan.pause.push({ key, reason });
        continue;
      }
      if (opts.start === false) {
        if (h.pending.size > 0) {
          h.decided = h.revision;
          plan.blocked.push(key);
        }
        continue;
      }
      this.#starts(key, h, now, plan);
    }
    return plan;
  }

  #starts(key: string, h: HuntEntry, now: number, plan: HuntPlan): void {
    for (const id of h.pending) {
      const view = this.#collectors.get(id);
      if (!view || !view.routable || !this.#wants(h, id, view)) {
        h.pending.delete(id);
        continue;
      }
      if (!h.gate.take(now)) return;
      h.pending.delete(id);
      const old = h.claims.get(id);
      const runs = (old?.claim.runs ?? 0) + 1;
      const incarnation = view.advert.startedAt;
      plan.start.push({
        key,
        hunt: h.record,
        collectorId: id,
        incarnation,
        runs,
        ...(old ? { revision: old.revision } : {}),
      });
      // Provisional until the bucket says otherwise: nothing is sent twice meanwhile.
      h.claims.set(id, {
        claim: {
          huntId: h.record.huntId,
          collectorId: id,
          coordinatorId: "-",
          incarnation,
          epoch: h.record.epoch,
          runs,
          state: "sent",
          sentAt: now,
          deadline: now + h.record.timeoutMs,
        },
        revision: old?.revision ?? 0,
      });
    }
  }

  #overThreshold(h: HuntEntry): string | undefined {
    const r = h.record;
    let finished = 0;
    let bad = 0;
    for (const { claim } of h.claims.values()) {
      if (claim.epoch !== r.epoch) continue;
      if (claim.state === "ok") finished++;
      else if (claim.state === "error" || claim.state === "timed_out") {
        finished++;
        bad++;
      }
    }
    if (finished < r.minParts || bad / finished <= r.maxErrorRate) return undefined;
    const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
    return (
      `error rate ${pct(bad / finished)} (${bad} of ${finished} parts failed or timed out` +
      `${r.epoch > 0 ? " since the last resume" : ""}) passed ${pct(r.maxErrorRate)}`
    );
  }

  #judge(key: string, h: HuntEntry, now: number, plan: HuntPlan): void {
    for (const [collectorId, e] of h.claims) {
      const c = e.claim;
      if (c.state !== "sent" || now <= c.deadline || e.revision === 0) continue;
      if (h.judging.has(collectorId) || this.#opts.inFlight(key, collectorId)) continue;
      h.judging.add(collectorId);
      plan.judge.push({ key, collectorId, claim: c, revision: e.revision });
    }
  }
}
