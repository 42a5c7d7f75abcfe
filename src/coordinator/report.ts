import {
  MAX_STATS_INSTANCES,
  type Result,
  type StatsReply,
  type Task,
} from "../../subjects/index.js";
import type { MeshError } from "../errors.js";
import type { LoadBalancer } from "../balancer/index.js";
import type { CapabilityRouter } from "../router/index.js";
import type { RouterWatcher } from "../discovery/index.js";
import type { TaskDistributor } from "../distributor/index.js";
import type { ResultAggregator } from "../aggregator/index.js";
import { Mismatch } from "./flights.js";
import type { SignatureFailure } from "../signing.js";
import type { FailureDetectorStats } from "./failure-detector.js";
import type { CoordinatorCounters, RejectedCounts } from "./types.js";

/** The coordinator's own counts; probes and forged 503s come from the failure detector. */
export class Counters {
  submitted = 0;
  noCapable = 0;
  resent = 0;
  failovers = 0;
  attemptTimeouts = 0;
  noResponders = 0;
  lost = 0;
  /** Re-sends per instance that failed, refused or timed out the attempt. */
  readonly resentFrom = new Map<string, number>();
  readonly rejected: RejectedCounts = {
    [Mismatch.NotInFlight]: 0,
    [Mismatch.NoAttemptToken]: 0,
    [Mismatch.OtherAttempt]: 0,
    [Mismatch.OtherInstance]: 0,
    unsigned: 0,
    "bad-signature": 0,
    "no-signing-key": 0,
  };

  reject(reason: Mismatch | SignatureFailure): void {
    this.rejected[reason]++;
  }

  resend(from: string | undefined): void {
    this.resent++;
    if (from !== undefined) this.resentFrom.set(from, (this.resentFrom.get(from) ?? 0) + 1);
  }

  snapshot(detector: FailureDetectorStats): CoordinatorCounters {
    return {
      submitted: this.submitted,
      noCapable: this.noCapable,
      resent: this.resent,
      failovers: this.failovers,
      attemptTimeouts: this.attemptTimeouts,
      noResponders: this.noResponders,
      probes: detector.probes,
      forgedNoResponders: detector.forgedNoResponders,
      liveness: detector,
      lost: this.lost,
      resentFrom: Object.fromEntries(mostFirst(this.resentFrom, MAX_STATS_INSTANCES)),
      rejected: { ...this.rejected },
    };
  }
}

/** The `max` entries with the largest counts (all of them when there are no more than `max`). */
function mostFirst(counts: ReadonlyMap<string, number>, max: number): [string, number][] {
  const all = [...counts];
  return all.length <= max ? all : all.sort((a, b) => b[1] - a[1]).slice(0, max);
}

/** A final error result for a task, as if `collectorId` had sent it. */
export function errorResult(
  task: Task,
  collectorId: string,
  err: MeshError,
  now: number,
  dispatchedAt: number | undefined,
  seq: number,
): Result {
  return {
    taskId: task.taskId,
    correlationId: task.correlationId,
    collectorId,
    seq,
    final: true,
    status: "error",
    error: { code: err.code, message: err.message.slice(0, 1024) },
    producedAt: now,
    processingMs: dispatchedAt === undefined ? 0 : Math.max(0, now - dispatchedAt),
    attempt: task.attempt,
  };
}

export interface StatsSources {
  readonly id: string;
  readonly router: CapabilityRouter;
  readonly balancer: LoadBalancer;
  readonly distributor: TaskDistributor;
  readonly aggregator: ResultAggregator;
}

/** Every component's stats, and the coordinator's own. */
export function coordinatorStats(
  c: StatsSources,
  watcher: RouterWatcher,
  counters: CoordinatorCounters,
  inFlight: number,
  tasks: number,
): StatsReply & { coordinator: CoordinatorCounters & { inFlight: number; tasks: number } } {
  return {
    coordinatorId: c.id,
    routing: { ...c.router.stats(), ...watcher.stats() },
    balancing: { ...c.balancer.stats(MAX_STATS_INSTANCES) },
    distribution: { ...c.distributor.stats() },
    aggregation: { ...c.aggregator.stats() },
    coordinator: { ...counters, inFlight, tasks },
  };
}
