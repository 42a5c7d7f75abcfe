import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/nats-core";
import { VERSION } from "../version.js";

/**
 * Tracing helpers. The library depends on @opentelemetry/api only: until a program registers an
 * SDK, spans are no-ops that cost next to nothing. NATS headers are the carrier.
 */
export const tracer = trace.getTracer("collector-mesh", VERSION);

export const hdrSetter: TextMapSetter<MsgHdrs> = {
  set: (h, k, v) => h.set(k, v),
};
export const hdrGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (h) => (h ? h.keys() : []),
  get: (h, k) => (h ? h.get(k) || undefined : undefined),
};

/** Messaging semantic-convention attribute names used on our spans. */
export const Attr = {
  System: "messaging.system",
  Destination: "messaging.destination.name",
  Operation: "messaging.operation.type",
  ConversationId: "messaging.message.conversation_id",
  MessageId: "messaging.message.id",
  CollectorId: "collector_mesh.collector.id",
  Priority: "collector_mesh.task.priority",
  Attempt: "collector_mesh.task.attempt",
  Capabilities: "collector_mesh.task.capabilities",
} as const;

/**
 * What every span about one task's message says: the messaging system and operation, the
 * submission (conversation) and task (message) ids, and the collector when there is one.
 */
export function messageAttributes(
  operation: string,
  m: { readonly correlationId: string; readonly taskId: string },
  collectorId?: string,
): Attributes {
  const a: Attributes = {
    [Attr.System]: "nats",
    [Attr.Operation]: operation,
    [Attr.ConversationId]: m.correlationId,
    [Attr.MessageId]: m.taskId,
  };
  if (collectorId !== undefined) a[Attr.CollectorId] = collectorId;
  return a;
}

/** True when a real SDK is registered: lets hot paths skip header work otherwise. */
export function tracingEnabled(): boolean {
  return propagation.fields().length > 0;
}

/**
 * Injects the context into fresh NATS headers, or returns undefined when no propagator is
 * registered (no headers needed, no cost).
 */
export function injectHeaders(ctx: Context, into?: MsgHdrs): MsgHdrs | undefined {
  if (!tracingEnabled()) return into;
  const h = into ?? natsHeaders();
  propagation.inject(ctx, h, hdrSetter);
  return h;
}

/** Context carried by a received message's headers (ROOT when none). */
export function extractContext(h: MsgHdrs | undefined): Context {
  if (!h) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, h, hdrGetter);
}

export function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) {
    const message = err instanceof Error ? err.message : typeof err === "string" ? err : "error";
    span.recordException(err instanceof Error ? err : message);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  span.end();
}

export { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace };
export type { Context, Span };
