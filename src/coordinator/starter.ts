import type { Result } from "../../subjects/index.js";
import { OverloadedError } from "../errors.js";
import type { Dispatcher } from "./dispatcher.js";
import type { Attempts } from "./attempts.js";
import type { CoreParts } from "./parts.js";
import type { CoordinatorMetrics } from "./metrics.js";
import { endSubmitSpan, startSubmitSpan, taskSpec, type SubmitPlan } from "./submit-plan.js";

/** Where a submission's parts go and what is known of it already (a durable takeover). */
export interface StartSpec {
  /** A fan-out: the instance each part belongs to. */
  readonly owners?: readonly string[];
  /** The parts' task ids (durable submissions name them), in the order of `owners`. */
  readonly taskIds?: readonly string[];
  /** Parts that complete the aggregation (default: the parts started). */
  readonly expected?: number;
  /** Time left (default: the plan's timeout). */
  readonly timeoutMs?: number;
  /** Results stored before: they count, and their parts are not sent again. */
  readonly seed?: readonly Result[];
  /** A durable submission's submitter. */
  readonly owner?: string;
}

/**
 * Starts a submission: checks room, makes its tasks, opens its aggregation and ledger entry, and
 * hands the parts to the dispatcher. When the aggregation ends its open parts end with it.
 */
export class SubmissionStarter {
  readonly #p: CoreParts;
  readonly #dispatcher: Dispatcher;
  readonly #attempts: Attempts;
  readonly #metrics: CoordinatorMetrics;
  readonly #maxQueued: number;
  readonly #idle: () => void;

  constructor(
    parts: CoreParts,
    dispatcher: Dispatcher,
    attempts: Attempts,
    opts: { metrics: CoordinatorMetrics; maxQueued: number; idle: () => void },
  ) {
    this.#p = parts;
    this.#dispatcher = dispatcher;
    this.#attempts = attempts;
    this.#metrics = opts.metrics;
    this.#maxQueued = opts.maxQueued;
    this.#idle = opts.idle;
  }

  /** Starts `plan`; returns its correlation id. OverloadedError changes nothing. */
  start(plan: SubmitPlan, spec: StartSpec = {}): string {
    const { distributor, aggregator, ledger, counters } = this.#p;
    const parts = spec.owners?.length ?? spec.taskIds?.length ?? 1;
    if (distributor.size() + parts > this.#maxQueued) {
      // Checked before any state changes, so an overloaded submit leaves nothing behind.
      throw new OverloadedError("coordinator queue", this.#maxQueued);
    }
    const { priority } = plan;
    const timeoutMs = spec.timeoutMs ?? plan.timeoutMs;
    const made = { ...plan, timeoutMs };
    const make = (i: number, correlationId: string | undefined) =>
      distributor.createTask({ ...taskSpec(made, correlationId), taskId: spec.taskIds?.[i] });
    const first = make(0, plan.correlationId);
    const { correlationId } = first;
    const span = startSubmitSpan(correlationId, plan, parts);
    const expected = spec.expected ?? plan.expected ?? parts;
    aggregator.startAggregation(correlationId, { expected, timeoutMs });
    for (const r of spec.seed ?? []) aggregator.addResult(r);
    const sub = ledger.open(correlationId, plan.mode, priority, span.ctx, spec.owner);
    void aggregator.whenComplete(correlationId).then((r) => {
      this.#attempts.closed(sub);
      if (ledger.size === 0) this.#idle();
      this.#metrics.submissionEnded(priority, r.status, r.completedAt - r.startedAt);
      endSubmitSpan(span, r);
    });
    counters.submitted++;
    for (let i = 0; i < parts && aggregator.isActive(correlationId); i++) {
      const task = i === 0 ? first : make(i, correlationId);
      this.#dispatcher.submit(ledger.add(sub, task, spec.owners?.[i]));
    }
    this.#dispatcher.pump();
    return correlationId;
  }
}
