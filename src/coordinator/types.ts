import type {
  AggregatedResult,
  FailoverEvent,
  StatsReply,
  StatusReply,
  StatusRequest,
  SubmitMode,
  Subjects,
  TaskPriority,
} from "../../subjects/index.js";
import type { Mismatch } from "./flights.js";
import type { SignatureFailure } from "../signing.js";
import type { SubmissionHandle } from "../client/types.js";
import type { FailureDetectorStats } from "./failure-detector.js";
import type { DurableRunStats } from "./durable.js";

/** What to run: the capabilities it needs and its payload. */
export interface TaskSpec {
  requiredCapabilities: number | string;
  payload?: unknown;
}

export interface SubmitOptions {
  /** `one`: the balancer picks one instance; `all`: a part for every capable instance. */
  mode?: SubmitMode;
  /** Parts to wait for (default 1 for `one`, the number of instances for `all`). */
  expected?: number;
  timeoutMs?: number;
  priority?: TaskPriority | string;
  correlationId?: string;
  /** This submit's mode: false runs it in memory even on a durable coordinator. */
  durable?: boolean;
  /** Aborting it cancels the submission (it ends `cancelled`). */
  signal?: AbortSignal;
  /** Only instances whose labels match: `zone=eu,role!=db`, `host~web-*` (subjects/selector.ts). */
  where?: string;
  /** Only these instances (by collector id). */
  collectors?: readonly string[];
  /** `one`: instances that match this first while they have room, the others when not. */
  prefer?: string;
}

/**
 * Answers dropped before they reached the aggregator, by why: they did not fit the attempt in
 * flight (Mismatch), or, on a coordinator that verifies, their signature did not hold.
 */
export type RejectedCounts = Record<Mismatch | SignatureFailure, number>;

export interface CoordinatorCounters {
  submitted: number;
  noCapable: number;
  /** Tasks queued again after a failed attempt. */
  resent: number;
  failovers: number;
  attemptTimeouts: number;
  /** No-responders statuses that matched an attempt in flight. */
  noResponders: number;
  probes: number;
  /** No-responders statuses a probe answered: the instance was alive. */
  forgedNoResponders: number;
  /** The failure detector's own counts: panics, instances held in routing, stalls, verdicts. */
  liveness: FailureDetectorStats;
  /** Fan-out parts reported lost with their instance. */
  lost: number;
  /** Re-sends per instance that failed, refused or timed out the attempt (the MAX_STATS_INSTANCES most). */
  resentFrom: Record<string, number>;
  rejected: RejectedCounts;
  /** Durable submissions owned now, their deliveries held un-acked, those taken over, redeliveries. */
  durable?: DurableRunStats;
}

export type CoordinatorEvent =
  | { kind: "failover"; event: FailoverEvent }
  | { kind: "no-capable-collector"; required: number }
  /** A task goes out again after its attempt on `from` failed (timed out, refused, lost). */
  | {
      kind: "resend";
      taskId: string;
      correlationId: string;
      from: string;
      attempt: number;
      reason: string;
    };

/** What the micro service needs of a coordinator. */
export interface CoordinatorApi {
  readonly id: string;
  readonly subjects: Subjects;
  submit(spec: TaskSpec, opts?: SubmitOptions): Promise<AggregatedResult>;
  track(spec: TaskSpec, opts?: SubmitOptions): Omit<SubmissionHandle, "correlationId">;
  status(page?: StatusRequest): StatusReply;
  stats(): StatsReply;
}
