import {
  createInbox,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from "@nats-io/nats-core";
import { connectionInboxPrefix } from "../inbox.js";
import { ErrorCode, MeshError, OverloadedError } from "../errors.js";

/** What JetStream answered for a stored message. */
export interface StoredAck {
  readonly stream: string;
  readonly seq: number;
  /** The message id was seen within the stream's duplicate window: stored before. */
  readonly duplicate: boolean;
}

export interface StoreOptions {
  /** `Nats-Msg-Id`: the same id within the duplicate window is stored once. */
  readonly msgID: string;
  /** `Nats-TTL` (2.11+), e.g. "30s": the message leaves the stream then. */
  readonly ttl?: string;
  readonly headers?: MsgHdrs;
}

interface Pending {
  resolve: (a: StoredAck) => void;
  reject: (e: MeshError) => void;
  readonly deadline: number;
}

/** How long a stored message waits for JetStream's acknowledgement. */
export const DEFAULT_ACK_TIMEOUT_MS = 5000;

/**
 * Publishes into JetStream streams and waits for their acknowledgements on one wildcard inbox
 * subscription, matched by a sequence number in the reply subject: no request, timer or error
 * object per message (nats.js's `js.publish` makes each), one sweep for timeouts. Errors are
 * MeshErrors: OVERLOADED for a full stream, UNAVAILABLE (worth another try) when nothing answered,
 * INVALID_ARGUMENT when the stream refused the message.
 */
export class StreamPublisher {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #pending = new Map<number, Pending>();
  readonly #timeoutMs: number;
  #sub: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;

  constructor(nc: NatsConnection, opts: { inboxPrefix?: string; timeoutMs?: number } = {}) {
    this.#nc = nc;
    this.#prefix = `${createInbox(opts.inboxPrefix ?? connectionInboxPrefix(nc))}.`;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  }

  /** Publishes `data` on `subject` (a stream's) and resolves once the stream stored it. */
  store(subject: string, data: Uint8Array, opts: StoreOptions): Promise<StoredAck> {
    this.#start();
    const seq = ++this.#seq;
    const h = opts.headers ?? natsHeaders();
    h.set("Nats-Msg-Id", opts.msgID);
    if (opts.ttl !== undefined) h.set("Nats-TTL", opts.ttl);
    return new Promise<StoredAck>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject, deadline: Date.now() + this.#timeoutMs });
      try {
        this.#nc.publish(subject, data, { reply: `${this.#prefix}${seq}`, headers: h });
      } catch (err) {
        this.#pending.delete(seq);
        reject(unavailable(`not published: ${String(err)}`));
      }
    });
  }

  /** Rejects what is still waiting (UNAVAILABLE) and unsubscribes. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    for (const p of this.#pending.values()) p.reject(unavailable("publisher closed"));
    this.#pending.clear();
  }

  #start(): void {
    if (this.#sub !== undefined) return;
    this.#sub = this.#nc.subscribe(`${this.#prefix}*`, {
      callback: (err, msg) => {
        if (!err) this.#onAck(msg);
      },
    });
    this.#timer = setInterval(() => this.#sweep(), 250);
    this.#timer.unref();
  }

  #onAck(msg: Msg): void {
    const seq = Number(msg.subject.slice(this.#prefix.length));
    const p = this.#pending.get(seq);
    if (p === undefined) return;
    this.#pending.delete(seq);
    if (msg.headers?.code === 503) {
      p.reject(unavailable("no stream answered (JetStream unavailable or no such stream)"));
      return;
    }
    try {
      const body = JSON.parse(new TextDecoder().decode(msg.data)) as {
        stream?: string;
        seq?: number;
        duplicate?: boolean;
        error?: { err_code?: number; description?: string };
      };
      if (body.error) {
        p.reject(refusal(body.error.err_code, body.error.description ?? "refused"));
        return;
      }
      p.resolve({
        stream: body.stream ?? "",
        seq: body.seq ?? 0,
        duplicate: body.duplicate === true,
      });
    } catch {
      p.reject(new MeshError(ErrorCode.Internal, "not a JetStream acknowledgement"));
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const [seq, p] of this.#pending) {
      if (p.deadline > now) continue;
      this.#pending.delete(seq);
      p.reject(unavailable(`no acknowledgement within ${this.#timeoutMs} ms`));
    }
  }
}

function unavailable(why: string): MeshError {
  return new MeshError(ErrorCode.Unavailable, `not stored: ${why}`);
}

function refusal(code: number | undefined, description: string): MeshError {
  // 10077: the stream's message limit (discard new): full.
  if (code === 10077) return new OverloadedError("stream", 0);
  return new MeshError(
    ErrorCode.InvalidArgument,
    `refused by the stream: ${description} (${code})`,
  );
}
