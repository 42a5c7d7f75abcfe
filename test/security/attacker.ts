/**
 * The attacker of the open-mesh tests: a plain connection with full rights on an unauthenticated
 * server, as anyone who reaches the port has. It subscribes to every collector's direct subject
 * (`<p>.collector.*.task`), so it reads each task and its reply subject (the coordinator's
 * `<p>.result.<coordinatorId>.<taskId>.<attempt>`) as soon as the collector does, and answers
 * first with whatever the test asks for.
 */
import { headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { encode } from "../../src/codec.js";
import {
  ErrorReply,
  MeshHeaders,
  Result,
  Task,
  type ErrorCode,
  type Subjects,
} from "../../subjects/index.js";
import { decode } from "../../src/codec.js";

/** What the attacker sees of one task on a direct subject. */
export interface SeenTask {
  readonly task: Task;
  /** The collector the task was sent to (from the subject). */
  readonly collectorId: string;
  /** The reply subject: the coordinator's result subject for this attempt. */
  readonly reply: string;
}

export type OnTask = (seen: SeenTask, nc: NatsConnection) => void;
/** A probe (empty message) on a direct subject: its reply is the coordinator's request inbox. */
export type OnProbe = (reply: string, collectorId: string, nc: NatsConnection) => void;

export class Attacker {
  readonly nc: NatsConnection;
  readonly #sub: Subscription;
  tasksSeen = 0;
  probesSeen = 0;

  constructor(nc: NatsConnection, s: Subjects, on: { task?: OnTask; probe?: OnProbe }) {
    this.nc = nc;
    this.#sub = nc.subscribe(`${s.prefix}.collector.*.task`, {
      callback: (err, msg) => {
        if (err || !msg.reply) return;
        const collectorId = msg.subject.split(".").at(-2) as string;
        if (msg.data.length === 0) {
          this.probesSeen++;
          on.probe?.(msg.reply, collectorId, nc);
          return;
        }
        this.tasksSeen++;
        on.task?.({ task: decode(Task, msg.data), collectorId, reply: msg.reply }, nc);
      },
    });
  }

  /** Subscribed on the server: no task can pass unseen from now. */
  async ready(): Promise<void> {
    await this.nc.flush();
  }

  stop(): void {
    this.#sub.unsubscribe();
  }
}

/** A forged `ok` result for `seen`'s task, as if `collectorId` had run it. */
export function forgedResult(
  seen: SeenTask,
  over: Partial<Result> = {},
  payload: unknown = { forged: true },
): Uint8Array {
  const r: Result = {
    taskId: seen.task.taskId,
    correlationId: seen.task.correlationId,
    collectorId: seen.collectorId,
    seq: 0,
    final: true,
    status: "ok",
    payload,
    producedAt: Date.now(),
    processingMs: 1,
    attempt: seen.task.attempt,
    ...over,
  };
  return encode(Result, r);
}

/** Publishes an error reply (Mesh-Error-Code header and an ErrorReply body) to `subject`. */
export function publishErrorReply(nc: NatsConnection, subject: string, code: ErrorCode): void {
  const h = headers();
  h.set(MeshHeaders.ErrorCode, code);
  h.set(MeshHeaders.Error, "forged");
  const body: ErrorReply = { error: { code, message: "forged" } };
  nc.publish(subject, encode(ErrorReply, body), { headers: h });
}

/** Publishes what the server sends when nobody subscribes: an empty message, status 503. */
export function publishNoResponders(nc: NatsConnection, subject: string): void {
  nc.publish(subject, new Uint8Array(0), { headers: headers(503, "No Responders") });
}

/** The reply subject `…<taskId>.<attempt>` with another attempt, or with none. */
export function withAttempt(reply: string, attempt: number | undefined): string {
  const base = reply.slice(0, reply.lastIndexOf("."));
  return attempt === undefined ? base : `${base}.${attempt}`;
}

export type { Msg };
