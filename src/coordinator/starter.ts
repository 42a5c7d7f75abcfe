import type { AggregatedResult, Result } from "../../subjects/index.js";
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
  /** A fan-out's named instances that could not be sent to: reported not reached. */
  readonly notReached?: readonly string[];
  /** Told the result when the submission ends (its stored results may end it at once). */
  readonly onEnd?: (r: AggregatedResult) => void;
}

/** The parts of one submission still to be handed to the dispatcher. */
interface Feed {
  readonly correlationId: string;
  readonly total: number;
  next: number;
  /** Makes part `i` (task and ledger entry) and hands it on. */
  readonly place: (i: number) => void;
}

export interface StarterOptions {
  metrics: CoordinatorMetrics;
  maxQueued: number;
  /** Parts handed to the dispatcher per event-loop turn; a fan-out's others wait for the next. */
  dispatchBatch: number;
  idle: () => void;
  /** Runs `fn` on a later turn of the event loop (default setImmediate). */
  defer?: (fn: () => void) => void;
}

/**
 * Starts a submission: checks room, makes its tasks, opens its aggregation and ledger entry, and
 * hands the parts to the dispatcher. When the aggregation ends its open parts end with it.
 *
 * A fan-out's parts go out at most `dispatchBatch` per turn of the event loop (the first batch at
 * once, the rest on later turns, submissions in the order they came), so that a fan-out to
 * thousands of instances does not hold up the results, adverts and timers that arrive meanwhile.
 * Making a part costs the same whatever the fan-out's size: the whole fan-out costs linear time.
 */
export class SubmissionStarter {
  readonly #p: CoreParts;
  readonly #dispatcher: Dispatcher;
  readonly #attempts: Attempts;
  readonly #metrics: CoordinatorMetrics;
  readonly #maxQueued: number;
  readonly #batch: number;
  readonly #idle: () => void;
  readonly #defer: (fn: () => void) => void;
  readonly #feeds: (Feed | undefined)[] = [];
  #feedHead = 0;
  #scheduled = false;

  constructor(parts: CoreParts, dispatcher: Dispatcher, attempts: Attempts, opts: StarterOptions) {
    this.#p = parts;
    this.#dispatcher = dispatcher;
    this.#attempts = attempts;
    this.#metrics = opts.metrics;
    this.#maxQueued = opts.maxQueued;
    this.#batch = opts.dispatchBatch;
    this.#idle = opts.idle;
    this.#defer = opts.defer ?? ((fn) => void setImmediate(fn));
  }

  /** Parts made but not yet handed to the dispatcher. */
  get waiting(): number {
    let n = 0;
    for (let i = this.#feedHead; i < this.#feeds.length; i++) {
      const f = this.#feeds[i];
      if (f !== undefined) n += f.total - f.next;
    }
    return n;
  }

  /** Drops every part not yet handed on (the coordinator stops). */
  clear(): void {
    this.#feeds.length = 0;
    this.#feedHead = 0;
  }

  /** Starts `plan`; returns its correlation id. OverloadedError changes nothing. */
  start(plan: SubmitPlan, spec: StartSpec = {}): string {
    const { distributor, aggregator, ledger, counters } = this.#p;
    const parts = spec.owners?.length ?? spec.taskIds?.length ?? 1;
    if (distributor.size() + this.waiting + parts > this.#maxQueued) {
      // Checked before any state changes, so an overloaded submit leaves nothing behind.
      throw new OverloadedError("coordinator queue", this.#maxQueued);
    }
    const { priority } = plan;
    const timeoutMs = spec.timeoutMs ?? plan.timeoutMs;
    const first = distributor.createTask(taskSpec(plan, timeoutMs, spec.taskIds?.[0]));
    const { correlationId } = first;
    const span = startSubmitSpan(correlationId, plan, parts);
    const expected = spec.expected ?? plan.expected ?? parts;
    const coverage =
      plan.mode === "all" ? { targets: spec.owners ?? [], notReached: spec.notReached } : {};
    // A durable run's result is its stored verdict: once it ends, only how it ended is kept here.
    const retain = spec.owner === undefined;
    aggregator.startAggregation(correlationId, { expected, timeoutMs, retain, ...coverage });
    const sub = ledger.open(correlationId, plan.mode, priority, span.ctx, spec.owner, plan.target);
    const onEnd = spec.onEnd;
    void aggregator.whenComplete(correlationId).then((r) => {
      this.#attempts.closed(sub);
      if (ledger.size === 0 && this.waiting === 0) this.#idle();
      this.#metrics.submissionEnded(priority, r.status, r.completedAt - r.startedAt);
      endSubmitSpan(span, r);
      onEnd?.(r);
    });
    for (const r of spec.seed ?? []) aggregator.addResult(r);
    counters.submitted++;
    if (parts === 1) {
      // One part costs what the submit costs: it goes at once, whatever waits.
      this.#dispatcher.submit(ledger.add(sub, first, spec.owners?.[0]));
      this.#dispatcher.pump();
      return correlationId;
    }
    const base = taskSpec(plan, timeoutMs, undefined, correlationId);
    const place = (i: number) => {
      const task = i === 0 ? first : distributor.createTask({ ...base, taskId: spec.taskIds?.[i] });
      this.#dispatcher.submit(ledger.add(sub, task, spec.owners?.[i]));
    };
    this.#feeds.push({ correlationId, total: parts, next: 0, place });
    // Nothing else waiting: this turn's batch goes now (a small fan-out, whole).
    if (this.#feeds.length - this.#feedHead === 1) this.#feed();
    else this.#schedule();
    return correlationId;
  }

  /** Hands on up to `dispatchBatch` waiting parts, oldest submission first; more on a later turn. */
  #feed(): void {
    this.#scheduled = false;
    const { aggregator } = this.#p;
    let budget = this.#batch;
    while (budget > 0 && this.#feedHead < this.#feeds.length) {
      const f = this.#feeds[this.#feedHead];
      while (
        f !== undefined &&
        budget > 0 &&
        f.next < f.total &&
        aggregator.isActive(f.correlationId)
      ) {
        f.place(f.next++);
        budget--;
      }
      if (f !== undefined && f.next < f.total && aggregator.isActive(f.correlationId)) break;
      this.#feeds[this.#feedHead++] = undefined;
    }
    if (this.#feedHead === this.#feeds.length) {
      this.#feeds.length = 0;
      this.#feedHead = 0;
    } else if (this.#feedHead > 1024) {
      this.#feeds.splice(0, this.#feedHead);
      this.#feedHead = 0;
    }
    this.#dispatcher.pump();
    if (this.#feedHead < this.#feeds.length) this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#defer(() => this.#feed());
  }
}
