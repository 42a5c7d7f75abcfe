import { SilentWatch } from "./silent-watch.js";

/** An instance judged gone: its work moves (a `one` task) or is reported lost (a fan-out part). */
export interface Verdict {
  readonly id: string;
  readonly reason: string;
}

/** How a probe of an instance's direct subject ended. */
export type ProbeOutcome = "answered" | "no-responders" | "timeout";

/** What a probe's outcome proves: gone (a verdict), alive after all, or a forged 503. */
export type ProbeVerdict = Verdict | "alive" | "forged" | undefined;

export interface FailureDetectorOptions {
  /**
   * After NATS reconnects, adverts need this long to arrive again: no instance is judged stale
   * by its advert's age while disconnected or within it (the advert TTL).
   */
  graceMs: number;
  /** Least time between two probes of one instance. */
  probeCooldownMs: number;
  /** An advert older than this (plus the observer's own blind time) is overdue: the advert TTL. */
  staleAfterMs: number;
  /**
   * When more than this share of the routable instances are overdue at once, none is failed by
   * age: the observer is the likelier culprit (Envoy's panic threshold). 0..1.
   */
  panicThreshold: number;
  /** Sweep timer drift (event-loop delay) up to this is noise; beyond it the observer was blind. */
  lagToleranceMs: number;
  /** An instance with work not heard from for this long is probed (then after 2×, 4×, …). */
  silentAfterMs: number;
  /** Longest silence between two such probes of one instance. */
  maxSilentAfterMs: number;
  /** Probes sent per sweep at most; the rest wait for the next sweeps. */
  maxProbesPerSweep: number;
}

export interface FailureDetectorStats {
  /** Probes sent: of silent instances with work, of overdue ones, to confirm no-responders. */
  probes: number;
  /** No-responders statuses that a probe answered: the instance was alive, the 503 forged. */
  forgedNoResponders: number;
  /** Instances whose stale judgement was put off because NATS was or had just been disconnected. */
  deferred: number;
  /** Times the share of overdue instances went past the panic threshold. */
  panics: number;
  /** Overdue instances kept in routing at the last sweep because of the panic threshold. */
  held: number;
  /** Overdue instances that answered their probe: late adverts, not dead instances. */
  lateAlive: number;
  /** Probes that went unanswered (timed out): slow, or frozen, or partitioned; not proof. */
  unanswered: number;
  /** Instances judged gone (verdicts given). */
  verdicts: number;
  /** Sweeps that followed a stall of the observer's own event loop past lagToleranceMs. */
  stalls: number;
  /** Longest stall seen (ms). */
  maxStallMs: number;
  /** Blind time (stalls and outages) within the last two stale ages, added to the stale age. */
  blindMs: number;
}

/** Why a probe went out. */
type Cause = "silent" | "stale" | "no-responders";

/** What one sweep decided: probes to send, and whether the panic began or ended. */
export interface SweepDecision {
  readonly probe: string[];
  /** Set when the panic began ("entered") or ended ("left") at this sweep. */
  readonly panic?: {
    readonly change: "entered" | "left";
    readonly overdue: number;
    readonly routable: number;
  };
}

/** What a sweep is told of the fleet now. */
export interface SweepInput {
  /** Routable instances whose advert is older than `staleAge(now)`, or expired in the bucket. */
  readonly overdue: readonly string[];
  /** Routable instances in all (overdue ones included). */
  readonly routable: number;
  readonly hasWork: (id: string) => boolean;
}

const NONE: SweepDecision = { probe: [] };

/**
 * Decides when an instance is gone. Proof is a no-responders status on its direct subject (a probe
 * confirms one that came on a task's reply, since anyone can send one), whatever the share of
 * instances in trouble. Suspicion is silence: an instance with work not heard from for
 * silentAfterMs is probed; an instance whose advert is overdue is probed, and failed when the probe
 * also goes unanswered, unless more than panicThreshold of the fleet is overdue at once: then the
 * observer is the likelier culprit (its own lag, the server's, a fleet-wide slowdown), every
 * instance stays routable, and only proof fails one. The observer's own blindness counts for the
 * instances: an outage defers judgements by age (and grants graceMs after), and a stall of its
 * event loop lengthens the stale age by as much and skips the judgements of the sweep that follows
 * it (answers that arrived meanwhile are read after it). Pure: the wiring sends probes, reports
 * how they ended and what time it is; every decision comes back as data.
 */
export class FailureDetector {
  readonly #opts: FailureDetectorOptions;
  #disconnectedAt: number | undefined;
  #graceUntil = Number.NEGATIVE_INFINITY;
  readonly #deferred = new Set<string>();
  readonly #probing = new Map<string, Cause>();
  readonly #lastProbe = new Map<string, number>();
  #prunedAt = Number.NEGATIVE_INFINITY;
  readonly #silent: SilentWatch;
  /** Stalls and outages: when each ended and how long it was. */
  readonly #blind: { at: number; ms: number }[] = [];
  #panic = false;
  readonly #stats: FailureDetectorStats = {
    probes: 0,
    forgedNoResponders: 0,
    deferred: 0,
    panics: 0,
    held: 0,
    lateAlive: 0,
    unanswered: 0,
    verdicts: 0,
    stalls: 0,
    maxStallMs: 0,
    blindMs: 0,
  };

  constructor(opts: FailureDetectorOptions) {
    this.#opts = opts;
    this.#silent = new SilentWatch(opts.silentAfterMs, opts.maxSilentAfterMs);
  }

  /** True while NATS is disconnected: no answer and no advert can arrive. */
  get disconnected(): boolean {
    return this.#disconnectedAt !== undefined;
  }

  /** True while more than panicThreshold of the routable instances are overdue. */
  get panicking(): boolean {
    return this.#panic;
  }

  disconnect(now: number): void {
    this.#disconnectedAt ??= now;
    // Probes out now will fail for the outage's sake, not the instance's: forget them.
    this.#probing.clear();
  }

  /** NATS is back: returns how long it was away (every deadline moves by as much). */
  reconnect(now: number): number {
    const since = this.#disconnectedAt;
    if (since === undefined) return 0;
    this.#disconnectedAt = undefined;
    this.#graceUntil = now + this.#opts.graceMs;
    this.#blind.push({ at: now, ms: now - since });
    return now - since;
  }

  /**
   * The sweep timer fired `lagMs` late at `now`. True when that is a stall past lagToleranceMs:
   * the observer could not read for that long, so the sweep judges nothing (answers that came
   * meanwhile are read first) and the stale age grows by the stall.
   */
  stalled(now: number, lagMs: number): boolean {
    if (!(lagMs > this.#opts.lagToleranceMs)) return false;
    this.#stats.stalls++;
    this.#stats.maxStallMs = Math.max(this.#stats.maxStallMs, Math.round(lagMs));
    this.#blind.push({ at: now, ms: lagMs });
    return true;
  }

  /** The advert age past which an instance is overdue now: the stale age plus recent blind time. */
  staleAge(now: number): number {
    const window = 2 * this.#opts.staleAfterMs;
    let i = 0;
    while (i < this.#blind.length && this.#blind[i]!.at < now - window) i++;
    if (i > 0) this.#blind.splice(0, i);
    let blind = 0;
    for (const b of this.#blind) blind += b.ms;
    this.#stats.blindMs = Math.round(blind);
    return this.#opts.staleAfterMs + blind;
  }

  /** `id` was sent work at `now`: from now on its silence is watched. */
  working(id: string, now: number): void {
    this.#silent.working(id, now);
  }

  /** A sign of life from `id` (a result, an advert, a probe's answer). */
  heard(id: string, now: number): void {
    this.#silent.heard(id, now);
  }

  /** The collector deleted its advert (a graceful stop, after its work): gone, whatever the share. */
  left(id: string): Verdict {
    this.#stats.verdicts++;
    return { id, reason: "collector left" };
  }

  /**
   * A no-responders status for a task sent to `id`. Returns the id to probe, or undefined when a
   * probe of it is already out: the verdict comes with the probe's outcome.
   */
  noResponders(id: string, now: number): string | undefined {
    if (this.#probing.get(id) === "no-responders") return undefined;
    this.#probing.set(id, "no-responders");
    this.#lastProbe.set(id, now);
    this.#stats.probes++;
    return id;
  }

  /**
   * How a probe of `id` ended at `now`: a verdict when it proves the instance gone (a 503, or an
   * overdue instance that does not answer while the fleet is not in panic), "alive" when an
   * overdue instance answered (its advert is late: count the answer as one), "forged" when it
   * proves alive an instance a no-responders status said was gone.
   */
  probed(id: string, outcome: ProbeOutcome, now: number): ProbeVerdict {
    const cause = this.#probing.get(id);
    if (cause === undefined) return undefined; // forgotten meanwhile (a disconnect)
    this.#probing.delete(id);
    if (outcome === "no-responders") {
      // Just after NATS came back, an instance may not have reconnected yet: nobody on its
      // subject proves nothing until the grace has passed (it is probed again, or goes stale).
      if (now < this.#graceUntil) {
        this.#stats.unanswered++;
        return undefined;
      }
      return this.#verdict(
        id,
        cause === "no-responders" ? "no responders" : "probe: no responders",
      );
    }
    if (outcome === "answered") {
      this.#silent.heard(id, now);
      if (cause === "no-responders") {
        this.#stats.forgedNoResponders++;
        return "forged";
      }
      if (cause === "stale") {
        this.#stats.lateAlive++;
        return "alive";
      }
      return undefined;
    }
    // Unanswered: slow is not dead, except for an overdue instance while the fleet is fine.
    this.#stats.unanswered++;
    if (cause === "stale" && !this.#panic && !this.disconnected) {
      return this.#verdict(id, "heartbeat stale; probe unanswered");
    }
    return undefined;
  }

  /** Once per sweep (not after a stall): probes for silent and overdue instances, panic changes. */
  sweep(now: number, input: SweepInput): SweepDecision {
    if (this.disconnected) return NONE;
    const probe: string[] = [];
    const budget = this.#opts.maxProbesPerSweep;
    const may = (id: string) => this.#mayProbe(id, now);
    for (const id of this.#silent.due(now, budget, input.hasWork, may)) {
      this.#startProbe(id, "silent", now);
      probe.push(id);
    }
    const panic = this.#judgeOverdue(now, input, probe, budget);
    this.#pruneProbes(now);
    return panic === undefined ? { probe } : { probe, panic };
  }

  /** Overdue instances: probed (the probe decides), unless judgements wait for an outage. */
  #judgeOverdue(
    now: number,
    input: SweepInput,
    probe: string[],
    budget: number,
  ): SweepDecision["panic"] {
    const { overdue, routable } = input;
    if (now < this.#graceUntil) {
      for (const id of overdue) {
        if (!this.#deferred.has(id)) this.#stats.deferred++;
        this.#deferred.add(id);
      }
      return undefined;
    }
    this.#deferred.clear();
    const panic =
      overdue.length > 0 && overdue.length > this.#opts.panicThreshold * Math.max(1, routable);
    this.#stats.held = panic ? overdue.length : 0;
    let change: SweepDecision["panic"];
    if (panic !== this.#panic) {
      this.#panic = panic;
      if (panic) this.#stats.panics++;
      change = { change: panic ? "entered" : "left", overdue: overdue.length, routable };
    }
    for (const id of overdue) {
      if (probe.length >= budget) break;
      if (!this.#mayProbe(id, now)) continue;
      this.#startProbe(id, "stale", now);
      probe.push(id);
    }
    return change;
  }

  #mayProbe(id: string, now: number): boolean {
    if (this.#probing.has(id)) return false;
    const last = this.#lastProbe.get(id);
    return last === undefined || now - last >= this.#opts.probeCooldownMs;
  }

  #startProbe(id: string, cause: Cause, now: number): void {
    this.#probing.set(id, cause);
    this.#lastProbe.set(id, now);
    this.#stats.probes++;
  }

  #verdict(id: string, reason: string): Verdict {
    this.#stats.verdicts++;
    return { id, reason };
  }

  /** The instance left for good: forget what was kept about it. */
  forget(id: string): void {
    this.#deferred.delete(id);
    this.#probing.delete(id);
    this.#lastProbe.delete(id);
    this.#silent.forget(id);
  }

  stats(): FailureDetectorStats {
    return { ...this.#stats };
  }

  /** Cooldowns that are over are dropped, at most once per cooldown. */
  #pruneProbes(now: number): void {
    if (now - this.#prunedAt < this.#opts.probeCooldownMs) return;
    this.#prunedAt = now;
    for (const [id, at] of this.#lastProbe) {
      if (now - at >= this.#opts.probeCooldownMs && !this.#probing.has(id))
        this.#lastProbe.delete(id);
    }
  }
}
