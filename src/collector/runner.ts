import type { Logger } from "pino";
import type { MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { encode } from "../codec.js";
import { MeshError, ErrorCode } from "../errors.js";
import { ErrorReply, MeshHeaders, Result, priorityName, type Task } from "../../subjects/index.js";
import type { Clock } from "../clock.js";
import {
  Attr,
  messageAttributes,
  SpanKind,
  context,
  endSpan,
  extractContext,
  injectHeaders,
  tracer,
  trace,
  tracingEnabled,
} from "../telemetry/tracing.js";
import type { ResultSigner } from "../signing.js";
import type { TaskContext, TaskHandler } from "./types.js";

/** A task a collector accepted: where its results go and when it arrived. */
export interface Job {
  task: Task;
  priority: number;
  reply: string | undefined;
  headers: MsgHdrs | undefined;
  receivedAt: number;
}

/** Counts the runner keeps for the collector's stats. */
export interface RunnerCounts {
  completed: number;
  failed: number;
  resultsSent: number;
}

export interface RunnerDeps {
  readonly collectorId: string;
  readonly handler: TaskHandler;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The connection results go out on; undefined once the collector has stopped. */
  readonly nc: () => NatsConnection | undefined;
  readonly counts: RunnerCounts;
  /** Signs each Result's bytes (header Mesh-Signature) when the collector signs. */
  readonly signer?: ResultSigner | undefined;
}

/**
 * Runs a task's handler and sends what it produces: one Result, or a stream of them (seq 0..n,
 * `final` on the last), or an error result; a message that is not a task gets an error reply.
 */
export class TaskRunner {
  readonly #d: RunnerDeps;

  constructor(deps: RunnerDeps) {
    this.#d = deps;
  }

  /**
   * Runs `job`'s handler under `run` until it ends; never throws. Returns undefined when it has
   * ended already: untraced (no SDK registered), a handler that returns a value costs no promise,
   * closure or span.
   */
  execute(job: Job, run: TaskRun): Promise<void> | undefined {
    if (tracingEnabled()) return this.#executeTraced(job, run);
    let out: unknown;
    try {
      out = this.#d.handler(job.task.payload, run);
    } catch (err) {
      this.#failed(job, err, 0);
      return undefined;
    }
    if (isThenable(out) || isAsyncIterable(out)) {
      return this.#finish(job, run, out).then(() => this.#disarm(run));
    }
    this.sendOk(job, out, 0, true);
    this.#d.counts.completed++;
    return undefined;
  }

  async #executeTraced(job: Job, run: TaskRun): Promise<void> {
    const { task } = job;
    const parent = extractContext(job.headers);
    const span = tracer.startSpan(
      "process",
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          ...messageAttributes("process", task, this.#d.collectorId),
          [Attr.Priority]: priorityName(task.priority),
          [Attr.Attempt]: task.attempt,
        },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), async () => {
        let out: unknown;
        try {
          out = this.#d.handler(task.payload, run);
        } catch (err) {
          this.#failed(job, err, 0);
          endSpan(span, err);
          return;
        }
        const err = await this.#finish(job, run, out);
        endSpan(span, err);
      });
    } finally {
      this.#disarm(run);
    }
  }

  /**
   * Awaits what the handler returned and sends it: one value, or each value of an async iterable
   * (sent once the next is known, so the last can carry `final`). Resolves with the error it sent
   * as an error result, if any; never rejects.
   */
  async #finish(job: Job, run: TaskRun, returned: unknown): Promise<unknown> {
    let seq = 0;
    try {
      let out = returned;
      if (isThenable(out)) {
        this.#armDeadline(run);
        out = await out;
      }
      if (isAsyncIterable(out)) {
        this.#armDeadline(run);
        let pending: { v: unknown } | undefined;
        for await (const v of out) {
          if (run.aborted) throw run.reason;
          if (pending) this.sendOk(job, pending.v, seq++, false);
          pending = { v };
        }
        this.sendOk(job, pending?.v, seq++, true);
      } else {
        this.sendOk(job, out, seq++, true);
      }
      this.#d.counts.completed++;
      return undefined;
    } catch (err) {
      this.#failed(job, err, seq);
      return err;
    }
  }

  #failed(job: Job, err: unknown, seq: number): void {
    this.#d.counts.failed++;
    this.sendError(job, err, seq);
  }

  #disarm(run: TaskRun): void {
    if (run.timer !== undefined) clearTimeout(run.timer);
  }

  sendOk(job: Job, payload: unknown, seq: number, final: boolean): void {
    const r = this.#result(job, seq, final);
    r.payload = payload;
    this.#publish(job, r);
  }

  /** A final error result: a MeshError keeps its code, anything else is HANDLER_ERROR. */
  sendError(job: Job, err: unknown, seq: number): void {
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

  /** An error reply for a message that is not a task (headers and an ErrorReply body). */
  replyError(reply: string | undefined, err: MeshError): void {
    const nc = this.#d.nc();
    if (!reply || !nc) return;
    const h = natsHeaders();
    h.set(MeshHeaders.ErrorCode, err.code);
    h.set(MeshHeaders.Error, err.message.slice(0, 512).replace(/[\r\n]/g, " "));
    const body: ErrorReply = { error: { code: err.code, message: err.message.slice(0, 1024) } };
    nc.publish(reply, encode(ErrorReply, body), { headers: h });
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
      Math.max(0, task.deadline - this.#d.clock.now()),
    );
    run.timer.unref();
  }

  #result(job: Job, seq: number, final: boolean): Result {
    const now = this.#d.clock.now();
    return {
      taskId: job.task.taskId,
      correlationId: job.task.correlationId,
      collectorId: this.#d.collectorId,
      seq,
      final,
      status: "ok",
      producedAt: now,
      processingMs: now - job.receivedAt,
      attempt: job.task.attempt,
    };
  }

  #publish(job: Job, r: Result): void {
    const nc = this.#d.nc();
    if (!job.reply || !nc) return;
    const span = tracingEnabled()
      ? tracer.startSpan("result", {
          kind: SpanKind.PRODUCER,
          attributes: {
            ...messageAttributes("publish", r, this.#d.collectorId),
            [Attr.Destination]: job.reply,
            "collector_mesh.result.seq": r.seq,
            "collector_mesh.result.final": r.final,
            "collector_mesh.result.status": r.status,
          },
        })
      : undefined;
    try {
      let headers = span ? injectHeaders(trace.setSpan(context.active(), span)) : undefined;
      const data = encode(Result, r);
      const signer = this.#d.signer;
      if (signer) {
        headers ??= natsHeaders();
        // Over the bytes exactly as sent: whoever passes the result on keeps them (signing.ts).
        headers.set(MeshHeaders.Signature, signer.sign(data));
      }
      nc.publish(job.reply, data, headers ? { headers } : undefined);
      this.#d.counts.resultsSent++;
      if (span) endSpan(span);
    } catch (err) {
      if (span) endSpan(span, err);
      // A result too large to encode or a closed connection: say so on the reply subject.
      this.#d.logger.warn({ taskId: r.taskId, err: String(err) }, "result not sent");
      if (r.status === "ok") {
        this.sendError(
          job,
          new MeshError(ErrorCode.Internal, `result not sent: ${String(err)}`),
          r.seq,
        );
      }
    }
  }
}

/**
 * A running task, and the TaskContext its handler gets. The AbortController is made only when the
 * handler reads `signal`: making one costs several microseconds per task (the largest single cost
 * of a collector's hot path in the benchmark profile), and a handler that never reads it needs none.
 */
export class TaskRun implements TaskContext {
  readonly task: Task;
  readonly collectorId: string;
  readonly logger: Logger;
  /** Where its results go (and its progress messages); none on a plain publish. */
  readonly reply: string | undefined;
  readonly startedAt: number;
  aborted = false;
  reason: unknown = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  #ac: AbortController | undefined = undefined;

  constructor(
    task: Task,
    collectorId: string,
    logger: Logger,
    reply: string | undefined,
    startedAt: number,
  ) {
    this.task = task;
    this.collectorId = collectorId;
    this.logger = logger;
    this.reply = reply;
    this.startedAt = startedAt;
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
