import { defaultDeps, type Clock, type Deps } from "../clock.js";
import {
  CollectorHealth,
  SOURCE_CAP_NAMES,
  SourceCaps,
  Subjects,
  hasCaps,
  parseCaps,
  type CollectorAdvert,
  type SourceCapName,
} from "../../subjects/index.js";
import { confidence } from "./confidence.js";
import { parseRouterOptions } from "./options.js";
import { SeenOrder } from "./seen-order.js";
import { RouteCache, type Scored } from "./route-cache.js";
import { Decision, bestFirst, byString, noCapableError } from "./route-decision.js";
import type {
  Candidate,
  RouterChange,
  RouterOptions,
  RouterUpdate,
  RoutingDecision,
  RoutingStats,
} from "./types.js";

interface Entry {
  readonly id: string;
  readonly target: string;
  advert: CollectorAdvert;
  /** Effective health. */
  health: CollectorHealth;
  lastSeen: number;
}

const { Unavailable, Healthy, Degraded } = CollectorHealth;

/**
 * Capability routing, as a plain synchronous class: no NATS, no timers, an injected clock.
 *
 * Fed adverts by an adapter (RouterWatcher), it owns the fleet's membership and health. It says
 * what changed: each applied advert, removal and health change returns a RouterChange (which the
 * watcher publishes), and every follower (`follow`, e.g. the coordinator's LoadBalancer) is told
 * each change and each plain heartbeat as it is applied, so that it keeps its own index.
 *
 * `findCapable` and `routeTask` answer "who can run a task needing these capabilities, best first"
 * with the collectors scored at most ROUTE_CACHE_MS ago (route-cache.ts); heartbeats and changes
 * count at once. The coordinator places tasks through its balancer's pools instead.
 *
 * Adverts of one incarnation (same startedAt) are applied in heartbeatSeq order: a replayed or
 * out-of-order advert (heartbeatSeq not greater than the last one applied) is ignored. A new
 * startedAt is a restarted collector and is always applied. So a collector that went stale, or
 * that markUnavailable took out, recovers with its next heartbeat, never with a replay of the
 * advert it had when it was marked.
 */
export class CapabilityRouter {
  readonly #opts: RouterOptions;
  readonly #clock: Clock;
  readonly #subjects: Subjects;
  readonly #entries = new Map<string, Entry>();
  readonly #order = new SeenOrder<Entry>();
  readonly #followers = new Set<(u: RouterUpdate) => void>();
  readonly #cache = new RouteCache();
  #routed = 0;
  #noCapable = 0;

  constructor(opts: Partial<RouterOptions> = {}, deps: Partial<Deps> = {}) {
    this.#opts = parseRouterOptions(opts);
    this.#clock = defaultDeps(deps).clock;
    this.#subjects = new Subjects(this.#opts.prefix);
  }

  get options(): Readonly<RouterOptions> {
    return this.#opts;
  }

  /** Registered collectors, in any health. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Tells `fn`, synchronously and in order, of every change the router applies from now on and of
   * every plain heartbeat (`kind: "heartbeat"`, never a RouterChange), after a `joined` for each
   * collector registered now (sorted by id), so that a follower starts in step. `fn` must not
   * throw. Returns the function that stops it.
   */
  follow(fn: (u: RouterUpdate) => void): () => void {
    const entries = [...this.#entries.values()].sort((a, b) => byString(a.id, b.id));
    for (const e of entries) fn({ kind: "joined", id: e.id, health: e.health, advert: e.advert });
    this.#followers.add(fn);
    return () => {
      this.#followers.delete(fn);
    };
  }

  /**
   * Applies an advert: `joined` for a new id, `recovered` when it was Unavailable and is not any
   * more, `updated` when health, capabilities, maxConcurrency or weight changed, undefined for a
   * plain heartbeat (and for a replayed or out-of-order advert, which is ignored). Followers are
   * told the change, or the heartbeat.
   */
  upsert(advert: CollectorAdvert): RouterChange | undefined {
    const now = this.#clock.now();
    const cur = this.#entries.get(advert.id);
    if (cur === undefined) {
      const target = this.#subjects.collectorTask(advert.id);
      const e = { id: advert.id, target, advert, health: advert.health, lastSeen: now };
      this.#entries.set(advert.id, e);
      this.#order.seen(e, now, advert.health !== Unavailable);
      return this.#tell({ kind: "joined", id: advert.id, health: advert.health, advert });
    }
    const old = cur.advert;
    if (advert.startedAt === old.startedAt && advert.heartbeatSeq <= old.heartbeatSeq) {
      return undefined;
    }
    const previousHealth = cur.health;
    cur.advert = advert;
    const restarted = advert.startedAt !== old.startedAt;
    this.#order.seen(cur, now, advert.health !== Unavailable);
    const structural =
      restarted ||
      advert.capabilities !== old.capabilities ||
      advert.maxConcurrency !== old.maxConcurrency ||
      advert.weight !== old.weight;
    if (advert.health === previousHealth && !structural) {
      if (cur.health !== Unavailable && this.#cache.size > 0) {
        this.#cache.beat(advert.capabilities, this.#candidate(cur, now), bestFirst, now);
      }
      if (this.#followers.size > 0) {
        const beat = { kind: "heartbeat", id: advert.id, health: cur.health, advert } as const;
        for (const fn of this.#followers) fn(beat);
      }
      return undefined;
    }
    cur.health = advert.health;
    const kind =
      previousHealth === Unavailable && advert.health !== Unavailable ? "recovered" : "updated";
    const change: RouterChange = {
      kind,
      id: advert.id,
      health: advert.health,
      previousHealth,
      advert,
    };
    if (restarted) change.restarted = true;
    return this.#tell(change);
  }

  /** Forgets a collector (its advert was deleted): `left`, or undefined when unknown. */
  remove(id: string): RouterChange | undefined {
    const cur = this.#entries.get(id);
    if (cur === undefined) return undefined;
    this.#entries.delete(id);
    this.#order.delete(cur);
    return this.#tell({
      kind: "left",
      id,
      health: Unavailable,
      previousHealth: cur.health,
      advert: cur.advert,
    });
  }

  /**
   * Takes a collector out of routing at once (e.g. its direct subject answered no-responders):
   * `stale`, or undefined when unknown or already Unavailable. It recovers with its next
   * heartbeat, i.e. the next advert with a greater heartbeatSeq (or a new startedAt).
   */
  markUnavailable(id: string, reason: string): RouterChange | undefined {
    const cur = this.#entries.get(id);
    if (cur === undefined || cur.health === Unavailable) return undefined;
    return this.#markUnavailable(cur, reason);
  }

  /**
   * Candidates for a task needing `required`: advert capabilities ⊇ required, not Unavailable,
   * best first (confidence now descending, then id ascending). Throws NoCapableCollectorError when
   * no registered collector advertises the capabilities; [] when some do but all are Unavailable.
   */
  findCapable(required: number): readonly Candidate[] {
    const scored = this.#score(required);
    scored.shared = true; // handed out: a heartbeat copies it before changing it
    const { candidates, capable } = scored;
    if (capable === 0) {
      this.#noCapable++;
      throw noCapableError(required, 0);
    }
    if (candidates.length === 0) this.#noCapable++;
    else this.#routed++;
    return candidates;
  }

  /** The best candidate and the others as fallbacks; NoCapableCollectorError when none. */
  routeTask(required: number): RoutingDecision {
    const d = this.#cache.decision(required, this.#clock.now()) ?? this.#decide(required);
    this.#routed++;
    return d;
  }

  /** The answer of a scored list, kept with it; throws when nobody can take the task. */
  #decide(required: number): RoutingDecision {
    const scored = this.#score(required);
    if (scored.decision !== undefined) return scored.decision;
    const { candidates, capable } = scored;
    const best = candidates[0];
    if (best === undefined) {
      this.#noCapable++;
      throw noCapableError(required, capable);
    }
    const target = this.#entries.get(best.id)!.target;
    return (scored.decision = new Decision(best, target, scored));
  }

  /**
   * Marks collectors whose last advert is older than heartbeatTimeoutMs Unavailable and returns
   * their `stale` changes. Also forgets (`left`) collectors Unavailable and silent for longer than
   * forgetAfterMs. Meant to run on the adapter's sweep timer; costs what it finds. A coordinator
   * judges staleness itself instead (`overdue`, then markUnavailable) and calls only
   * `forgetSilent`.
   */
  checkStale(): RouterChange[] {
    const now = this.#clock.now();
    const out: RouterChange[] = [];
    for (const e of this.#order.overdue(now, this.#opts.heartbeatTimeoutMs)) {
      out.push(this.#markUnavailable(e, `no heartbeat for ${now - e.lastSeen} ms`));
    }
    out.push(...this.forgetSilent());
    return out;
  }

  /** Forgets (`left`) collectors Unavailable and silent for longer than forgetAfterMs. */
  forgetSilent(): RouterChange[] {
    const forget = this.#opts.forgetAfterMs;
    if (forget <= 0) return [];
    const out: RouterChange[] = [];
    for (const e of this.#order.silentOut(this.#clock.now(), forget)) {
      const left = this.remove(e.id);
      if (left) out.push(left);
    }
    return out;
  }

  /**
   * Ids of routable collectors whose last advert is older than `ageMs` (default
   * heartbeatTimeoutMs), or whose advert the bucket said expired, oldest first. Nothing changes:
   * the caller judges them. Costs what it finds.
   */
  overdue(ageMs = this.#opts.heartbeatTimeoutMs): string[] {
    return this.#order.overdue(this.#clock.now(), ageMs).map((e) => e.id);
  }

  /**
   * The bucket announced that `id`'s advert expired (a limit marker): it is overdue from now
   * until its next advert, whatever its age. False when unknown or not routable.
   */
  expire(id: string): boolean {
    const e = this.#entries.get(id);
    return e !== undefined && this.#order.expire(e);
  }

  /**
   * `id` answered (a probe, a result): proof it lives, counted as a heartbeat for its age. False
   * when unknown or Unavailable (only an advert brings it back).
   */
  touch(id: string): boolean {
    const e = this.#entries.get(id);
    if (e === undefined || e.health === Unavailable) return false;
    const now = this.#clock.now();
    this.#order.seen(e, now, true);
    if (this.#cache.size > 0) {
      this.#cache.beat(e.advert.capabilities, this.#candidate(e, now), bestFirst, now);
    }
    return true;
  }

  /** Registered collectors not Unavailable. */
  get routable(): number {
    return this.#order.routable;
  }

  /** Ids, sorted, whose last advert is older than suspectAfterMs but not yet stale. */
  suspects(): string[] {
    const { suspectAfterMs, heartbeatTimeoutMs } = this.#opts;
    const now = this.#clock.now();
    const found = this.#order.silentBetween(now, suspectAfterMs, heartbeatTimeoutMs);
    return found.map((e) => e.id).sort(byString);
  }

  get(id: string): Candidate | undefined {
    const e = this.#entries.get(id);
    return e === undefined ? undefined : this.#candidate(e, this.#clock.now());
  }

  /** Every registered collector, in any health, sorted by id. */
  list(): readonly Candidate[] {
    const now = this.#clock.now();
    return [...this.#entries.values()]
      .sort((a, b) => byString(a.id, b.id))
      .map((e) => this.#candidate(e, now));
  }

  stats(): RoutingStats {
    const byCapability = Object.fromEntries(SOURCE_CAP_NAMES.map((n) => [n, 0])) as Record<
      SourceCapName,
      number
    >;
    let healthy = 0;
    let degraded = 0;
    let unavailable = 0;
    for (const e of this.#entries.values()) {
      if (e.health === Healthy) healthy++;
      else if (e.health === Degraded) degraded++;
      else unavailable++;
      for (const n of SOURCE_CAP_NAMES) {
        if ((e.advert.capabilities & SourceCaps[n]) !== 0) byCapability[n]++;
      }
    }
    const { size: total } = this.#entries;
    const [routed, noCapable] = [this.#routed, this.#noCapable];
    return { total, healthy, degraded, unavailable, byCapability, routed, noCapable };
  }

  #markUnavailable(e: Entry, reason: string): RouterChange {
    const previousHealth = e.health;
    e.health = Unavailable;
    this.#order.out(e);
    return this.#tell({
      kind: "stale",
      id: e.id,
      health: Unavailable,
      previousHealth,
      advert: e.advert,
      reason,
    });
  }

  /** Routable candidates for `required`, scored now and best first, and how many advertise it. */
  #score(required: number): Scored {
    const now = this.#clock.now();
    // Only valid masks are cached: a hit needs no parsing.
    const hit = this.#cache.get(required, now);
    if (hit !== undefined) return hit;
    const req = parseCaps(required);
    const candidates: Candidate[] = [];
    let capable = 0;
    for (const e of this.#entries.values()) {
      if (!hasCaps(e.advert.capabilities, req)) continue;
      capable++;
      if (e.health !== Unavailable) candidates.push(this.#candidate(e, now));
    }
    candidates.sort(bestFirst);
    const scored: Scored = { at: now, candidates, shared: false, capable, decision: undefined };
    this.#cache.set(req, scored);
    return scored;
  }

  #tell(c: RouterChange): RouterChange {
    this.#cache.clear();
    for (const fn of this.#followers) fn(c);
    return c;
  }

  /** A scored snapshot of one collector at `now`. */
  #candidate(e: Entry, now: number): Candidate {
    const a = e.advert;
    return {
      id: e.id,
      advert: a,
      health: e.health,
      confidence: confidence(
        e.health,
        now - e.lastSeen,
        this.#opts.heartbeatTimeoutMs,
        a.inFlight,
        a.maxConcurrency,
      ),
      lastSeen: e.lastSeen,
    };
  }
}
