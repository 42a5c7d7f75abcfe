import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { DEFAULT_PREFIX, MeshHeaders, Result, Subjects } from "../../subjects/index.js";
import { decode } from "../codec.js";
import { InvalidMessageError, MeshError } from "../errors.js";
import type { ResultInboxOptions, ResultInboxStats } from "./types.js";

const ATTEMPT_RE = /^\d{1,6}$/;

/**
 * The coordinator's one result subscription, `<p>.result.<coordinatorId>.>` (reply subjects
 * `…<taskId>[.<attempt>]`), callback style. Each message is classified once: a 503 status (the
 * task's subject had no subscriber: the instance is gone), an error reply (Mesh-Error-Code
 * header), or a Result, decoded and validated once. Anything else is counted and reported,
 * never thrown.
 *
 * nats.js v3 delivers the no-responders status to a plain subscription when the publish carried
 * a reply subject and the connection has headers on (the default).
 */
export class ResultInbox {
  readonly subject: string;
  readonly #nc: NatsConnection;
  readonly #opts: ResultInboxOptions;
  readonly #prefix: string;
  #sub: Subscription | undefined;
  readonly #stats: ResultInboxStats = {
    received: 0,
    results: 0,
    noResponders: 0,
    errorReplies: 0,
    invalid: 0,
    errors: 0,
    progress: 0,
    unexpected: 0,
  };

  constructor(nc: NatsConnection, opts: ResultInboxOptions) {
    const subjects = new Subjects(opts.prefix ?? DEFAULT_PREFIX);
    this.#nc = nc;
    this.#opts = opts;
    this.#prefix = subjects.resultPrefix(opts.coordinatorId);
    this.subject = subjects.resultInbox(opts.coordinatorId);
  }

  /** Subscribes; a second call does nothing. */
  start(): void {
    if (this.#sub !== undefined) return;
    this.#sub = this.#nc.subscribe(this.subject, {
      callback: (err, msg) => (err ? this.#onError(err) : this.#onMsg(msg)),
    });
  }

  /** Drains the subscription: messages already received are still handled. */
  async stop(): Promise<void> {
    const sub = this.#sub;
    this.#sub = undefined;
    if (sub === undefined || sub.isClosed()) return;
    try {
      await sub.drain();
    } catch {
      // The connection is closed or closing: the subscription is gone with it.
    }
  }

  stats(): ResultInboxStats {
    return { ...this.#stats };
  }

  #onMsg(msg: Msg): void {
    this.#stats.received++;
    const subject = msg.subject;
    // `<prefix><taskId>` or `<prefix><taskId>.<attempt>`
    let taskId = subject.startsWith(this.#prefix) ? subject.slice(this.#prefix.length) : "";
    let attempt: number | undefined;
    const dot = taskId.indexOf(".");
    if (dot >= 0) {
      const token = taskId.slice(dot + 1);
      taskId = taskId.slice(0, dot);
      if (!ATTEMPT_RE.test(token)) taskId = "";
      else attempt = Number(token);
    }
    if (taskId === "") {
      this.#invalid(
        new InvalidMessageError("not a result subject", { subject, paths: ["<subject>"] }),
        msg,
      );
      return;
    }
    const h = msg.headers;
    if (h !== undefined) {
      if (msg.data.length === 0 && h.has(MeshHeaders.Progress)) {
        this.#stats.progress++;
        this.#call(() => this.#opts.onProgress?.(taskId, attempt));
        return;
      }
      if (h.code === 503 && msg.data.length === 0) {
        this.#stats.noResponders++;
        this.#call(() => this.#opts.onNoResponders(taskId, attempt));
        return;
      }
      const err = MeshError.fromMsg(msg);
      if (err !== undefined) {
        this.#stats.errorReplies++;
        this.#call(() => this.#opts.onErrorReply(taskId, attempt, err));
        return;
      }
    }
    if (this.#opts.expects !== undefined && !this.#opts.expects(taskId, attempt)) {
      this.#stats.unexpected++;
      return;
    }
    let result: Result;
    try {
      result = decode(Result, msg.data, { subject });
    } catch (err) {
      this.#invalid(err as InvalidMessageError, msg);
      return;
    }
    if (result.taskId !== taskId) {
      const e = new InvalidMessageError(
        `result for task ${result.taskId} on the subject of task ${taskId}`,
        {
          subject,
          paths: ["taskId"],
        },
      );
      this.#invalid(e, msg);
      return;
    }
    this.#stats.results++;
    try {
      this.#opts.onResult(result, attempt, msg);
    } catch (err) {
      this.#onError(err);
    }
  }

  #invalid(err: InvalidMessageError, msg: Msg): void {
    this.#stats.invalid++;
    if (this.#opts.onInvalid) this.#call(() => this.#opts.onInvalid?.(err, msg));
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#onError(err);
    }
  }

  #onError(err: unknown): void {
    this.#stats.errors++;
    try {
      this.#opts.onError?.(err);
    } catch {
      // Reporting must not break the subscription.
    }
  }
}
