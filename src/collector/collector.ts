import type { Logger } from "pino";
import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { decode, encode } from "../codec.js";
import { MeshError, ErrorCode, InvalidMessageError, StoppedError } from "../errors.js";
import {
  CollectorHealth,
  Headers,
  Result,
  Subjects,
  Task,
  ErrorReply,
  domainsOf,
  formatCaps,
  hasCaps,
  priorityName,
  type CollectorAdvert,
} from "../../subjects/index.js";
import { Advertiser } from "../router/advertiser.js";
import {
  Attr,
  SpanKind,
  context,
  endSpan,
  extractContext,
  injectHeaders,
  tracer,
  trace,
  tracingEnabled,
} from "../telemetry/tracing.js";
import { LogOnce } from "../telemetry/log-once.js";
import { parseCollectorOptions, type CollectorInit, type CollectorOptions } from "./options.js";
import { PriorityFifo } from "./task-queue.js";
import type { CollectorStats, TaskContext } from "./types.js";

interface Job {
  task: Task;
  priority: number;
  reply: string | undefined;
  headers: MsgHdrs | undefined;
  receivedAt: number;
}

/**
 * A collector instance: advertises itself in the KV bucket and heartbeats, takes tasks on its
 * direct subject (and on the plain path in its domains' queue groups), runs the handler under
 * maxConcurrency with its own priority queue, and sends Results (seq, final) to the reply subject.
 */
export class Collector {
  readonly opts: CollectorOptions;
  readonly #subjects: Subjects;
  readonly #queue = new PriorityFifo<Job>();
  readonly #running = new Set<TaskRun>();
  readonly #startedAt: number;
  #nc: NatsConnection | undefined;
  #subs: Subscription[] = [];
  #advertiser: Advertiser | undefined;
  #health: CollectorHealth = CollectorHealth.Healthy;
  readonly #logOnce = new LogOnce();
  #accepting = false;
  #idle: (() => void) | undefined;
  #stats = {
    received: 0,
    completed: 0,
    failed: 0,
    invalid: 0,
    expired: 0,
    rejected: 0,
    resultsSent: 0,
  };

  constructor(init: CollectorInit) {
    this.opts = parseCollectorOptions(init);
    this.#subjects = new Subjects(this.opts.prefix);
    this.#startedAt = this.opts.clock.now();
  }

  get id(): string {
    return this.opts.id;
  }

  /** Tasks accepted and not finished (running + queued): what the advert reports. */
  get inFlight(): number {
    return this.#running.size + this.#queue.size;
  }

  /** The advert as it would be put now. */
  advert(): CollectorAdvert {
    const o = this.opts;
    return {
      id: o.id,
      type: o.type,
      capabilities: o.capabilities,
      version: o.version,
      health: this.#health,
      maxConcurrency: o.maxConcurrency,
      inFlight: this.inFlight,
      weight: o.weight,
      labels: o.labels,
      startedAt: this.#startedAt,
      heartbeatSeq: 0,
      heartbeatAt: o.clock.now(),
    };
  }

  /** Subscribes and starts advertising. */
  async start(nc: NatsConnection): Promise<void> {
    if (this.#nc)
      throw new MeshError(ErrorCode.InvalidArgument, `collector ${this.id} already started`);
    this.#nc = nc;
    this.#accepting = true;
    const cb = (err: Error | null, msg: Msg) => {
      if (!err) this.#onMessage(msg);
    };
    this.#subs.push(nc.subscribe(this.#subjects.collectorTask(this.id), { callback: cb }));
    if (this.opts.plainPath) {
      const domains = domainsOf(this.opts.capabilities);
      // `generic` tasks carry no domain bit: serve them only when we have no domain of our own.
      const served = domains.length > 1 ? domains.filter((d) => d !== "generic") : domains;
      for (const d of served) {
        this.#subs.push(
          nc.subscribe(this.#subjects.taskWildcard(d), {
            queue: this.#subjects.queueGroup(d),
            callback: cb,
          }),
        );
      }
    }
    await nc.flush();
    this.#advertiser = new Advertiser(nc, {
      prefix: this.opts.prefix,
      ttlMs: this.opts.ttlMs,
      heartbeatMs: this.opts.heartbeatMs,
      advert: () => this.advert(),
      logger: this.opts.logger,
    });
    await this.#advertiser.start();
    this.opts.logger.info(
      {
        collectorId: this.id,
        type: this.opts.type,
        capabilities: formatCaps(this.opts.capabilities),
      },
      "collector started",
    );
  }

  /** Changes the advertised health and puts the advert at once. */
  async setHealth(health: CollectorHealth): Promise<void> {
    this.#health = health;
    await this.#advertiser?.beat();
  }

  /** The advertiser, for tests that pause heartbeats. */
  get advertiser(): Advertiser | undefined {
    return this.#advertiser;
  }

  /**
   * Drains: stops taking tasks, lets running and queued tasks finish within the grace period
   * (then aborts them with a STOPPED error result), and deletes the advert.
   */
  async stop(): Promise<void> {
    if (!this.#nc) return;
    this.#accepting = false;
    // Routers stop choosing us; tasks still sent meanwhile are refused with STOPPED (the
    // coordinator re-sends them elsewhere). The direct subscription stays until in-flight work
    // is done, so no coordinator mistakes the drain for a dead instance (no responders).
    this.#health = CollectorHealth.Unavailable;
    await this.#advertiser?.beat();
    const [direct, ...queues] = this.#subs;
    await Promise.allSettled(queues.map((s) => s.drain()));
    if (this.inFlight > 0) {
      const idle = new Promise<void>((r) => (this.#idle = r));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, this.opts.drainGraceMs)));
      await Promise.race([idle, grace]);
      clearTimeout(timer);
      if (this.inFlight > 0) {
        for (const job of this.#queue.drain())
          this.#sendError(job, new StoppedError(`collector ${this.id}`), 0);
        for (const run of this.#running) run.abort(new StoppedError(`collector ${this.id}`));
      }
    }
    await direct?.drain().catch(() => undefined);
    this.#subs = [];
    await this.#advertiser?.stop();
    this.#advertiser = undefined;
    try {
      await this.#nc.flush();
    } catch {
      // connection already closed: nothing left to flush
    }
    this.#nc = undefined;
    this.opts.logger.info({ collectorId: this.id }, "collector stopped");
  }

  stats(): CollectorStats {
    return {
      ...this.#stats,
      running: this.#running.size,
      queued: this.#queue.size,
      health: this.#health,
    };
  }

  #onMessage(msg: Msg): void {
    if (msg.data.length === 0 && msg.reply) {
      // A coordinator's liveness probe: answer it, it is not a task.
      this.#nc?.publish(msg.reply, new Uint8Array(0));
      return;
    }
    this.#stats.received++;
    let task: Task;
    try {
      task = decode(Task, msg.data, { subject: msg.subject, maxBytes: this.opts.maxTaskBytes });
    } catch (err) {
      this.#stats.invalid++;
      const e = err instanceof InvalidMessageError ? err : new InvalidMessageError(String(err));
      const once = this.#logOnce.check(msg.subject);
      if (once.log) {
        this.opts.logger.warn(
          { subject: msg.subject, paths: e.paths, err: e.message, suppressed: once.suppressed },
          "invalid task",
        );
      }
      this.#replyError(msg.reply, e);
      return;
    }
    const job: Job = {
      task,
      priority: task.priority,
      reply: msg.reply || undefined,
      headers: msg.headers,
      receivedAt: this.opts.clock.now(),
    };
    if (!hasCaps(this.opts.capabilities, task.requiredCapabilities)) {
      this.#stats.rejected++;
      this.#sendError(
        job,
        new MeshError(
          ErrorCode.NoCapableCollector,
          `collector ${this.id} lacks ${formatCaps(task.requiredCapabilities & ~this.opts.capabilities)}`,
        ),
        0,
      );
      return;
    }
    if (!this.#accepting) {
      this.#stats.rejected++;
      this.#sendError(job, new StoppedError(`collector ${this.id}`), 0);
      return;
    }
    if (this.#running.size < this.opts.maxConcurrency) {
      this.#run(job);
    } else if (this.#queue.size < this.opts.maxQueued) {
      this.#queue.push(job);
    } else {
      this.#stats.rejected++;
      this.#sendError(
        job,
        new MeshError(ErrorCode.Overloaded, `collector ${this.id} queue is full`),
        0,
      );
    }
  }

  #next(): void {
    while (this.#running.size < this.opts.maxConcurrency) {
      const job = this.#queue.shift();
      if (!job) break;
      this.#run(job);
    }
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.inFlight === 0 && this.#idle) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
  }

  #run(job: Job): void {
    const now = this.opts.clock.now();
    if (job.task.deadline <= now) {
      this.#stats.expired++;
      this.#sendError(
        job,
        new MeshError(ErrorCode.Timeout, `task ${job.task.taskId} deadline passed before it ran`),
        0,
      );
      // No call to #next here: the loop that called us takes the next job (a long queue of
      // expired jobs must not recurse).
      this.#checkIdle();
      return;
    }
    const run = new TaskRun(job.task, this.id, this.opts.logger);
    this.#running.add(run);
    void this.#execute(job, run).finally(() => {
      this.#running.delete(run);
      this.#next();
    });
  }

  /**
   * Aborts `run` when its task's deadline passes. Armed only once the handler has returned
   * something pending: a handler that returns a value has finished before any timer could fire.
   */
  #armDeadline(run: TaskRun): void {
    if (run.timer !== undefined) return;
    const { task } = run;
    run.timer = setTimeout(
      () => run.abort(new MeshError(ErrorCode.Timeout, `task ${task.taskId} deadline passed`)),
      Math.max(0, task.deadline - this.opts.clock.now()),
    );
    run.timer.unref();
  }

  async #execute(job: Job, run: TaskRun): Promise<void> {
    const { task } = job;
    const parent = extractContext(job.headers);
    const span = tracer.startSpan(
      "process",
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [Attr.System]: "nats",
          [Attr.Operation]: "process",
          [Attr.ConversationId]: task.correlationId,
          [Attr.MessageId]: task.taskId,
          [Attr.CollectorId]: this.id,
          [Attr.Priority]: priorityName(task.priority),
          [Attr.Attempt]: task.attempt,
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    let seq = 0;
    try {
      await context.with(ctx, async () => {
        let out = this.opts.handler(task.payload, run);
        if (isThenable(out)) {
          this.#armDeadline(run);
          out = await out;
        }
        if (isAsyncIterable(out)) {
          this.#armDeadline(run);
          // Send each value once the next is known, so the last can carry `final`.
          let pending: { v: unknown } | undefined;
          for await (const v of out) {
            if (run.aborted) throw run.reason;
            if (pending) this.#sendOk(job, pending.v, seq++, false);
            pending = { v };
          }
          this.#sendOk(job, pending?.v, seq++, true);
        } else {
          this.#sendOk(job, out, seq++, true);
        }
      });
      this.#stats.completed++;
      endSpan(span);
    } catch (err) {
      this.#stats.failed++;
      this.#sendError(job, err, seq);
      endSpan(span, err);
    } finally {
      if (run.timer !== undefined) clearTimeout(run.timer);
    }
  }

  #result(job: Job, seq: number, final: boolean): Result {
    const now = this.opts.clock.now();
    return {
      taskId: job.task.taskId,
      correlationId: job.task.correlationId,
      collectorId: this.id,
      seq,
      final,
      status: "ok",
      producedAt: now,
      processingMs: now - job.receivedAt,
      attempt: job.task.attempt,
    };
  }

  #sendOk(job: Job, payload: unknown, seq: number, final: boolean): void {
    const r = this.#result(job, seq, final);
    r.payload = payload;
    this.#publish(job, r);
  }

  #sendError(job: Job, err: unknown, seq: number): void {
    const r = this.#result(job, seq, true);
    r.status = "error";
    r.error =
      err instanceof MeshError
        ? { code: err.code, message: err.message.slice(0, 1024) }
        : {
            code: ErrorCode.HandlerError,
            message: (err instanceof Error ? err.message : String(err)).slice(0, 1024),
          };
    this.#publish(job, r);
  }

  #publish(job: Job, r: Result): void {
    const nc = this.#nc;
    if (!job.reply || !nc) return;
    const span = tracingEnabled()
      ? tracer.startSpan("result", {
          kind: SpanKind.PRODUCER,
          attributes: {
            [Attr.System]: "nats",
            [Attr.Operation]: "publish",
            [Attr.Destination]: job.reply,
            [Attr.ConversationId]: r.correlationId,
            [Attr.MessageId]: r.taskId,
            [Attr.CollectorId]: this.id,
            "collector_mesh.result.seq": r.seq,
            "collector_mesh.result.final": r.final,
            "collector_mesh.result.status": r.status,
          },
        })
      : undefined;
    try {
      const headers = span ? injectHeaders(trace.setSpan(context.active(), span)) : undefined;
      nc.publish(job.reply, encode(Result, r), headers ? { headers } : undefined);
      this.#stats.resultsSent++;
      if (span) endSpan(span);
    } catch (err) {
      if (span) endSpan(span, err);
      // A result too large to encode or a closed connection: say so on the reply subject.
      this.opts.logger.warn({ taskId: r.taskId, err: String(err) }, "result not sent");
      if (r.status === "ok") {
        this.#sendError(
          job,
          new MeshError(ErrorCode.Internal, `result not sent: ${String(err)}`),
          r.seq,
        );
      }
    }
  }

  #replyError(reply: string | undefined, err: MeshError): void {
    if (!reply || !this.#nc) return;
    const h = natsHeaders();
    h.set(Headers.ErrorCode, err.code);
    h.set(Headers.Error, err.message.slice(0, 512).replace(/[\r\n]/g, " "));
    const body: ErrorReply = { error: { code: err.code, message: err.message.slice(0, 1024) } };
    this.#nc.publish(reply, encode(ErrorReply, body), { headers: h });
  }
}

/**
 * A running task, and the TaskContext its handler gets. The AbortController is made only when the
 * handler reads `signal`: making one costs several microseconds per task (the largest single cost
 * of a collector's hot path in the benchmark profile), and a handler that never reads it needs none.
 */
class TaskRun implements TaskContext {
  readonly task: Task;
  readonly collectorId: string;
  readonly logger: Logger;
  aborted = false;
  reason: unknown = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  #ac: AbortController | undefined = undefined;

  constructor(task: Task, collectorId: string, logger: Logger) {
    this.task = task;
    this.collectorId = collectorId;
    this.logger = logger;
  }

  get signal(): AbortSignal {
    if (this.#ac === undefined) {
      this.#ac = new AbortController();
      if (this.aborted) this.#ac.abort(this.reason);
    }
    return this.#ac.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#ac?.abort(reason);
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === "object" || typeof v === "function") &&
    v !== null &&
    typeof (v as { then?: unknown }).then === "function"
  );
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === "object" && v !== null && Symbol.asyncIterator in v;
}
