/** An instance judged gone: its work moves (a `one` task) or is reported lost (a fan-out part). */
export interface Verdict {
  readonly id: string;
  readonly reason: string;
}

/** How a probe of an instance's direct subject ended. */
export type ProbeOutcome = "answered" | "no-responders" | "timeout";

export interface FailureDetectorOptions {
  /**
   * After NATS reconnects, heartbeats need this long to arrive again: stale judgements made
   * while disconnected or within it wait until it has passed (the advert TTL).
   */
  graceMs: number;
  /** Least time between two suspicion probes of one instance. */
  probeCooldownMs: number;
}

export interface FailureDetectorStats {
  /** Probes sent: of suspects, and to confirm no-responders statuses. */
  probes: number;
  /** No-responders statuses that a probe answered: the instance was alive, the 503 forged. */
  forgedNoResponders: number;
  /** Stale judgements put off because NATS was or had just been disconnected. */
  deferred: number;
}

interface Probe {
  readonly since: number;
  /** Why: a missed heartbeat, or a no-responders status to confirm. */
  readonly cause: "suspect" | "no-responders";
}

/**
 * Decides when an instance is gone. Proof is a no-responders status on its direct subject, which
 * a probe confirms first (any answer proves it alive, and the status forged), or a stale or
 * expired advert. While NATS is disconnected, and for one advert TTL after it reconnects, no
 * heartbeat can prove anything, so stale judgements wait and are made again then. Instances that
 * missed a heartbeat and have work are probed. Pure: the wiring sends probes and reports how they
 * ended; every decision comes back as data.
 */
export class FailureDetector {
  readonly #opts: FailureDetectorOptions;
  #disconnectedAt: number | undefined;
  #graceUntil = Number.NEGATIVE_INFINITY;
  readonly #deferred = new Set<string>();
  readonly #probing = new Map<string, Probe>();
  readonly #lastProbe = new Map<string, number>();
  readonly #stats: FailureDetectorStats = { probes: 0, forgedNoResponders: 0, deferred: 0 };

  constructor(opts: FailureDetectorOptions) {
    this.#opts = opts;
  }

  /** True while NATS is disconnected: no answer and no heartbeat can arrive. */
  get disconnected(): boolean {
    return this.#disconnectedAt !== undefined;
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
    return now - since;
  }

  /**
   * A collector went stale or left: the verdict now, or none while heartbeats could not arrive
   * (judged again by `sweep` once the grace period is over).
   */
  stale(id: string, kind: "stale" | "left", now: number): Verdict | undefined {
    if (this.disconnected || now < this.#graceUntil) {
      this.#deferred.add(id);
      this.#stats.deferred++;
      return undefined;
    }
    return { id, reason: kind === "left" ? "collector left" : "heartbeat stale" };
  }

  /** A heartbeat arrived (joined, recovered): nothing deferred against it stands. */
  alive(id: string): void {
    this.#deferred.delete(id);
  }

  /**
   * A no-responders status for a task sent to `id`. Returns the id to probe, or undefined when a
   * probe of it is already out: the verdict comes with the probe's outcome.
   */
  noResponders(id: string, now: number): string | undefined {
    const p = this.#probing.get(id);
    if (p !== undefined && p.cause === "no-responders") return undefined;
    this.#probing.set(id, { since: now, cause: "no-responders" });
    this.#stats.probes++;
    return id;
  }

  /**
   * How a probe of `id` ended: a verdict when it proves the instance gone, "forged" when it
   * proves alive an instance a no-responders status said was gone.
   */
  probed(id: string, outcome: ProbeOutcome): Verdict | "forged" | undefined {
    const p = this.#probing.get(id);
    if (p === undefined) return undefined; // forgotten meanwhile (a disconnect)
    this.#probing.delete(id);
    if (outcome === "no-responders") {
      return { id, reason: p.cause === "no-responders" ? "no responders" : "probe: no responders" };
    }
    if (outcome === "answered" && p.cause === "no-responders") {
      this.#stats.forgedNoResponders++;
      return "forged";
    }
    return undefined;
  }

  /**
   * Once per sweep: the deferred judgements whose grace period is over (`stillStale` says whether
   * each is still without a heartbeat), and the suspects with work to probe.
   */
  sweep(
    now: number,
    suspects: Iterable<string>,
    hasWork: (id: string) => boolean,
    stillStale: (id: string) => boolean,
  ): { fail: Verdict[]; probe: string[] } {
    const fail: Verdict[] = [];
    const probe: string[] = [];
    if (this.disconnected) return { fail, probe };
    if (this.#deferred.size > 0 && now >= this.#graceUntil) {
      for (const id of this.#deferred) {
        if (stillStale(id)) fail.push({ id, reason: "heartbeat stale" });
      }
      this.#deferred.clear();
    }
    for (const id of suspects) {
      if (!hasWork(id) || this.#probing.has(id)) continue;
      const last = this.#lastProbe.get(id);
      if (last !== undefined && now - last < this.#opts.probeCooldownMs) continue;
      this.#lastProbe.set(id, now);
      this.#probing.set(id, { since: now, cause: "suspect" });
      this.#stats.probes++;
      probe.push(id);
    }
    if (this.#lastProbe.size > 10_000) this.#forgetOldProbes(now);
    return { fail, probe };
  }

  /** The instance left for good: forget what was kept about it. */
  forget(id: string): void {
    this.#deferred.delete(id);
    this.#probing.delete(id);
    this.#lastProbe.delete(id);
  }

  stats(): FailureDetectorStats {
    return { ...this.#stats };
  }

  #forgetOldProbes(now: number): void {
    for (const [id, at] of this.#lastProbe) {
      if (now - at >= this.#opts.probeCooldownMs) this.#lastProbe.delete(id);
    }
  }
}
