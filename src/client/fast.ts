import { createInbox, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import {
  AggregatedResult,
  MeshHeaders,
  Result,
  SubmitRequest,
  type Subjects,
} from "../../subjects/index.js";
import { decode, encode } from "../codec.js";
import { ErrorCode, MeshError } from "../errors.js";
import { ResultAggregator } from "../aggregator/index.js";
import type { SubmitPlan } from "../coordinator/submit-plan.js";
import { targetingFields } from "../coordinator/targeting.js";
import type { MeshClientOptions } from "./options.js";
import type { SubmissionHandle } from "./types.js";
import { rememberSigned } from "../signing.js";
import type { ResultChecker } from "./verify.js";

interface Call {
  readonly sub: Subscription;
  lastHeard: number;
  readonly deadline: number;
}

/**
 * Submits through the coordinators' api, in memory: the reply is streamed (each result, then
 * keepalives while the submission runs, the verdict, an empty end), so results larger than one
 * message arrive whole and a coordinator that dies is noticed when its keepalives stop.
 */
export class FastSubmitter {
  readonly #nc: NatsConnection;
  readonly #subjects: Subjects;
  readonly #opts: MeshClientOptions;
  readonly #agg = new ResultAggregator({ completedRingSize: 100 });
  readonly #calls = new Map<string, Call>();
  #timer: NodeJS.Timeout | undefined;
  /** With `verify`: results are checked, and every reply applied in order after them. */
  readonly #checker: ResultChecker | undefined;
  #checked: Promise<void> = Promise.resolve();

  constructor(
    nc: NatsConnection,
    subjects: Subjects,
    opts: MeshClientOptions,
    checker?: ResultChecker,
  ) {
    this.#nc = nc;
    this.#subjects = subjects;
    this.#opts = opts;
    this.#checker = checker;
  }

  submit(plan: SubmitPlan): Promise<AggregatedResult> {
    return this.#agg.whenComplete(this.#call(plan));
  }

  track(plan: SubmitPlan): SubmissionHandle {
    const id = this.#call(plan);
    return { correlationId: id, results: this.#agg.stream(id), done: this.#agg.whenComplete(id) };
  }

  close(): void {
    clearInterval(this.#timer);
    for (const c of this.#calls.values()) c.sub.unsubscribe();
    this.#calls.clear();
  }

  #call(plan: SubmitPlan): string {
    const id = plan.correlationId ?? createInbox("c").slice(2);
    const req: SubmitRequest = {
      requiredCapabilities: plan.required,
      priority: plan.priority,
      mode: plan.mode,
      timeoutMs: plan.timeoutMs,
      correlationId: id,
      stream: true,
      durable: false,
      ...(plan.payload !== undefined ? { payload: plan.payload } : {}),
      ...(plan.expected !== undefined ? { expected: plan.expected } : {}),
      ...targetingFields(plan.target),
    };
    const data = encode(SubmitRequest, req);
    const timeoutMs = plan.timeoutMs + 2 * this.#opts.verdictGraceMs;
    // Ended by the verdict (or a stall): the parts are the coordinator's to count.
    this.#agg.startAggregation(id, { timeoutMs });
    const sub = this.#nc.subscribe(createInbox(this.#opts.inboxPrefix), {
      callback: (err, msg) => {
        if (!err) this.#onReply(id, msg);
      },
    });
    const now = Date.now();
    this.#calls.set(id, { sub, lastHeard: now, deadline: now + plan.timeoutMs });
    void this.#agg.whenComplete(id).then(() => this.#forget(id));
    this.#nc.publish(this.#subjects.api("submit"), data, { reply: sub.getSubject() });
    this.#timer ??= setInterval(() => this.#sweep(), 250);
    this.#timer.unref();
    return id;
  }

  #onReply(id: string, msg: Msg): void {
    const call = this.#calls.get(id);
    if (!call) return;
    call.lastHeard = Date.now();
    if (this.#checker === undefined) void this.#handle(id, msg, undefined);
    else {
      const checker = this.#checker;
      this.#checked = this.#checked.then(() => this.#handle(id, msg, checker));
    }
  }

  async #handle(id: string, msg: Msg, checker: ResultChecker | undefined): Promise<void> {
    const h = msg.headers;
    if (h?.code === 503) {
      this.#end(id, new MeshError(ErrorCode.NoResponders, "no coordinator serves the api"));
      return;
    }
    const err = MeshError.fromMsg(msg);
    if (err) {
      this.#end(id, err);
      return;
    }
    if (h?.has(MeshHeaders.Keepalive) || msg.data.length === 0) return;
    try {
      if (h?.get(MeshHeaders.Record) === "verdict") {
        const v = decode(AggregatedResult, msg.data, { subject: msg.subject });
        const error = v.error ? new MeshError(v.error.code, v.error.message) : undefined;
        this.#agg.end(id, v.status, { expected: v.expected, error, instances: v.instances });
      } else {
        const r = decode(Result, msg.data, { subject: msg.subject });
        const signature = checker ? h?.get(MeshHeaders.Signature) : undefined;
        if (signature) rememberSigned(r, msg.data, signature);
        if (checker === undefined || (await checker.check(r))) this.#agg.addResult(r);
      }
    } catch (e) {
      this.#end(id, MeshError.from(e));
    }
  }

  /** Keepalives stopped (the coordinator is gone), or the verdict is overdue. */
  #sweep(): void {
    const now = Date.now();
    for (const [id, call] of this.#calls) {
      if (now - call.lastHeard > this.#opts.stallMs) {
        this.#end(id, new MeshError(ErrorCode.Unavailable, "the coordinator stopped answering"));
      } else if (now > call.deadline + this.#opts.verdictGraceMs) {
        this.#end(id, new MeshError(ErrorCode.Unavailable, "no verdict by the deadline"));
      }
    }
  }

  #end(id: string, err: MeshError): void {
    const received = this.#agg.getProgress(id)?.received ?? 0;
    const status = err.code === ErrorCode.Unavailable && received > 0 ? "partial" : "failed";
    this.#agg.end(id, status, { error: err });
  }

  #forget(id: string): void {
    this.#calls.get(id)?.sub.unsubscribe();
    this.#calls.delete(id);
  }
}
