import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { CancelReply, CancelRequest, type Subjects } from "../../subjects/index.js";
import { decode, encode } from "../codec.js";
import type { Submission } from "./ledger.js";

/** Largest cancel request accepted (bytes). */
const MAX_CANCEL_BYTES = 4096;

export interface CancelHooks {
  readonly coordinatorId: string;
  /** The submission running here under that id, if any. */
  submission(correlationId: string): Submission | undefined;
  /** Ends it `cancelled`; returns how many parts were still open. */
  cancel(sub: Submission, reason: string): number;
}

/**
 * Cancels on `<p>.cancel.<owner>.<correlationId>`: every coordinator hears each; the one running
 * the submission ends it and answers. A durable submission is cancelled only under its own owner's
 * subject (on a secured mesh a publisher may publish only its own), so nobody cancels another's.
 */
export class CancelListener {
  readonly #nc: NatsConnection;
  readonly #subjects: Subjects;
  readonly #hooks: CancelHooks;
  #sub: Subscription | undefined;

  constructor(nc: NatsConnection, subjects: Subjects, hooks: CancelHooks) {
    this.#nc = nc;
    this.#subjects = subjects;
    this.#hooks = hooks;
  }

  start(): void {
    this.#sub = this.#nc.subscribe(this.#subjects.cancels(), {
      callback: (err, msg) => {
        if (!err) this.#onCancel(msg);
      },
    });
  }

  async stop(): Promise<void> {
    await this.#sub?.drain().catch(() => undefined);
  }

  #onCancel(msg: Msg): void {
    const parsed = this.#subjects.parse(msg.subject);
    if (parsed?.kind !== "cancel") return;
    let req: CancelRequest;
    try {
      req =
        msg.data.length === 0
          ? {}
          : decode(CancelRequest, msg.data, { subject: msg.subject, maxBytes: MAX_CANCEL_BYTES });
    } catch {
      return;
    }
    const sub = this.#hooks.submission(parsed.correlationId);
    if (sub === undefined) return;
    if (sub.owner !== undefined && sub.owner !== parsed.owner) return;
    const parts = this.#hooks.cancel(sub, req.reason ?? `cancelled by ${parsed.owner}`);
    if (!msg.reply) return;
    const reply: CancelReply = {
      correlationId: parsed.correlationId,
      coordinatorId: this.#hooks.coordinatorId,
      cancelledParts: parts,
    };
    try {
      msg.respond(encode(CancelReply, reply));
    } catch {
      // The canceller has gone: the submission is cancelled all the same.
    }
  }
}
