import type { Attributes, Span } from "@opentelemetry/api";
import {
  formatCaps,
  parseCaps,
  parsePriority,
  priorityName,
  type AggregatedResult,
  type SubmitMode,
  type SubmitRequest,
  type TaskPriority,
} from "../../subjects/index.js";
import { InvalidArgumentError } from "../errors.js";
import {
  Attr,
  SpanKind,
  context,
  endSpan,
  trace,
  tracer,
  tracingEnabled,
  type Context,
} from "../telemetry/tracing.js";
import type { TaskSpec as DistributorTaskSpec } from "../distributor/types.js";
import type { SubmitOptions, TaskSpec } from "./types.js";
import { parseTargeting, type Targeting } from "./targeting.js";

/** A submit's arguments, checked once. */
export interface SubmitPlan {
  readonly required: number;
  readonly priority: TaskPriority;
  readonly timeoutMs: number;
  readonly mode: SubmitMode;
  readonly expected: number | undefined;
  readonly correlationId: string | undefined;
  readonly payload: unknown;
  /** Who it may run on (selector, named instances) and who first (prefer). */
  readonly target: Targeting | undefined;
}

/** A SubmitRequest off the wire as the arguments of submit(spec, opts) and track(spec, opts). */
export function submitArgs(req: SubmitRequest): {
  spec: TaskSpec;
  opts: SubmitOptions & { timeoutMs: number };
} {
  return {
    spec: { requiredCapabilities: req.requiredCapabilities, payload: req.payload },
    opts: {
      mode: req.mode,
      expected: req.expected,
      timeoutMs: req.timeoutMs,
      priority: req.priority,
      correlationId: req.correlationId,
      durable: req.durable,
      where: req.where,
      collectors: req.collectors,
      prefer: req.prefer,
    },
  };
}

/** Runs `cancel` when `signal` aborts (at once if it already has): a submit's abort signal. */
export function cancelOnAbort(signal: AbortSignal | undefined, cancel: () => unknown): void {
  if (signal === undefined) return;
  if (signal.aborted) cancel();
  else signal.addEventListener("abort", () => void cancel(), { once: true });
}

/** Checks a submit's arguments; InvalidArgumentError names the first that is wrong. */
export function planSubmit(
  spec: TaskSpec,
  opts: SubmitOptions,
  defaultTimeoutMs: number,
): SubmitPlan {
  const required = parseCaps(spec.requiredCapabilities);
  const priority = parsePriority(opts.priority ?? 1);
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidArgumentError("timeoutMs", "must be a positive number");
  }
  const mode = opts.mode ?? "one";
  if (mode !== "one" && mode !== "all") {
    throw new InvalidArgumentError("mode", "must be one or all");
  }
  const expected = opts.expected;
  if (expected !== undefined && (!Number.isInteger(expected) || expected < 1)) {
    throw new InvalidArgumentError("expected", "must be a positive integer");
  }
  return {
    required,
    priority,
    timeoutMs,
    mode,
    expected,
    correlationId: opts.correlationId,
    payload: spec.payload,
    target: parseTargeting(opts),
  };
}

/**
 * What the distributor makes one of the plan's tasks from: `timeoutMs` is the time left (a
 * takeover's), `correlationId` the submission's once its first task named it.
 */
export function taskSpec(
  plan: SubmitPlan,
  timeoutMs: number,
  taskId: string | undefined,
  correlationId = plan.correlationId,
): DistributorTaskSpec {
  const { required: requiredCapabilities, payload, priority } = plan;
  return { requiredCapabilities, payload, priority, timeoutMs, correlationId, taskId };
}

/** The `submit` span and the context its dispatches run in (none without a tracing SDK). */
export interface SubmitSpan {
  readonly span: Span;
  readonly ctx: Context | undefined;
  readonly recording: boolean;
}

/**
 * Starts the `submit` span. With no tracing SDK the span is a no-op: its attributes and context
 * are skipped, since they would be allocated for every submit and read by nobody.
 */
export function startSubmitSpan(
  correlationId: string,
  plan: SubmitPlan,
  parts: number,
): SubmitSpan {
  const traced = tracingEnabled();
  const span = tracer.startSpan(
    "submit",
    traced
      ? { kind: SpanKind.INTERNAL, attributes: submitAttributes(correlationId, plan, parts) }
      : UNTRACED,
  );
  const recording = span.isRecording();
  if (recording && !traced) span.setAttributes(submitAttributes(correlationId, plan, parts));
  const ctx = traced || recording ? trace.setSpan(context.active(), span) : undefined;
  return { span, ctx, recording };
}

const UNTRACED = Object.freeze({ kind: SpanKind.INTERNAL });

function submitAttributes(correlationId: string, plan: SubmitPlan, parts: number): Attributes {
  return {
    [Attr.System]: "nats",
    [Attr.ConversationId]: correlationId,
    [Attr.Priority]: priorityName(plan.priority),
    [Attr.Capabilities]: formatCaps(plan.required),
    "collector_mesh.submit.mode": plan.mode,
    "collector_mesh.submit.parts": parts,
  };
}

/** Ends the `submit` span with the aggregation's outcome. */
export function endSubmitSpan(s: SubmitSpan, r: AggregatedResult): void {
  if (s.recording) {
    s.span.addEvent("aggregation complete", {
      "collector_mesh.aggregation.status": r.status,
      "collector_mesh.aggregation.received": r.received,
      "collector_mesh.aggregation.duplicates": r.duplicates,
    });
    s.span.setAttribute("collector_mesh.aggregation.status", r.status);
    s.span.setAttribute("collector_mesh.aggregation.received", r.received);
  }
  endSpan(s.span, r.status === "failed" ? r.error?.message : undefined);
}
