import type { NatsConnection, PublishOptions } from "@nats-io/nats-core";
import {
  DEFAULT_PREFIX,
  DOMAINS,
  PRIORITY_NAMES,
  Subjects,
  Task,
  type Domain,
} from "../../subjects/index.js";
import { encode } from "../codec.js";
import {
  Attr,
  messageAttributes,
  context,
  endSpan,
  injectHeaders,
  SpanKind,
  trace,
  tracer,
  tracingEnabled,
} from "../telemetry/tracing.js";
import type { DistributeOptions, TaskPublisherOptions } from "./types.js";

/**
 * Publishes tasks: on the plain path `<p>.task.<domain>.<priority>` (a domain's queue group takes
 * it) or, given the balancer's choice, on `<p>.collector.<id>.task`. Encodes once per call; adds
 * trace headers only when a propagator is registered (no header allocation otherwise).
 */
export class TaskPublisher {
  readonly subjects: Subjects;
  readonly #nc: NatsConnection;
  /** Plain-path subjects by domain, then priority: built once. */
  readonly #plain: ReadonlyMap<Domain, readonly string[]>;
  #published = 0;

  constructor(nc: NatsConnection, opts: TaskPublisherOptions = {}) {
    this.#nc = nc;
    this.subjects = new Subjects(opts.prefix ?? DEFAULT_PREFIX);
    this.#plain = new Map(
      DOMAINS.map((d) => [d, PRIORITY_NAMES.map((p) => this.subjects.task(d, p))] as const),
    );
  }

  /** Tasks published so far. */
  get published(): number {
    return this.#published;
  }

  /** Publishes `task` and returns the subject used. */
  distributeTask(task: Task, opts: DistributeOptions = {}): string {
    const subject =
      opts.collectorId !== undefined
        ? this.subjects.collectorTask(opts.collectorId)
        : this.#plainSubject(task);
    const data = encode(Task, task);
    if (tracingEnabled()) {
      this.#publishTraced(subject, data, task, opts);
    } else if (opts.reply !== undefined || opts.headers !== undefined) {
      this.#nc.publish(subject, data, publishOptions(opts.reply, opts.headers));
    } else {
      this.#nc.publish(subject, data);
    }
    this.#published++;
    return subject;
  }

  #publishTraced(subject: string, data: Uint8Array, task: Task, opts: DistributeOptions): void {
    const span = tracer.startSpan(
      opts.spanName ?? `publish ${subject}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          ...messageAttributes("publish", task, opts.collectorId),
          [Attr.Destination]: subject,
          [Attr.Priority]: task.priority,
          [Attr.Attempt]: task.attempt,
          [Attr.Capabilities]: task.requiredCapabilities,
        },
      },
      context.active(),
    );
    try {
      const headers = injectHeaders(trace.setSpan(context.active(), span), opts.headers);
      this.#nc.publish(subject, data, publishOptions(opts.reply, headers));
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
    endSpan(span);
  }

  #plainSubject(task: Task): string {
    const s = this.#plain.get(task.domain)?.[task.priority];
    // An out-of-contract task: let the builder raise the typed error.
    return s ?? this.subjects.task(task.domain, PRIORITY_NAMES[task.priority]);
  }
}

function publishOptions(
  reply: string | undefined,
  headers: PublishOptions["headers"],
): PublishOptions {
  const o: PublishOptions = {};
  if (reply !== undefined) o.reply = reply;
  if (headers !== undefined) o.headers = headers;
  return o;
}
