import { DeliverPolicy, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";

/** One message of a stream read back: its subject, body, and whether it is a KV delete marker. */
export interface ReadMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly deleted: boolean;
  readonly time: number;
  readonly seq: number;
}

function toRead(m: JsMsg): ReadMsg {
  const op = m.headers?.get("KV-Operation");
  return {
    subject: m.subject,
    data: m.data,
    deleted: op === "DEL" || op === "PURGE",
    time: m.info.timestampNanos / 1_000_000,
    seq: m.seq,
  };
}

/**
 * Reads what a stream holds on `filter` once, through an ordered consumer (no durable state left
 * behind): the last message per subject (a KV bucket's current values) or every message, as
 * the stream held them when it started (a key written meanwhile may come again: the last is kept).
 */
export async function readStream(
  js: JetStreamClient,
  stream: string,
  filter: string,
  last: boolean,
): Promise<ReadMsg[]> {
  const c = await js.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: last ? DeliverPolicy.LastPerSubject : DeliverPolicy.All,
  });
  const out: ReadMsg[] = [];
  try {
    // What the stream held when the consumer was made: later writes are not waited for.
    const held = (await c.info(true)).num_pending;
    while (out.length < held) {
      const batch = await c.fetch({
        max_messages: Math.min(1000, held - out.length),
        expires: 2000,
      });
      const before = out.length;
      for await (const m of batch) out.push(toRead(m));
      if (out.length === before) break;
    }
    if (!last) return out;
    const bySubject = new Map<string, ReadMsg>();
    for (const m of out) bySubject.set(m.subject, m);
    return [...bySubject.values()];
  } finally {
    await c.delete().catch(() => undefined);
  }
}

/**
 * Every message on `filter` as it arrives, from the first one stored: `onMsg` for each, until
 * `signal` aborts.
 */
export async function followStream(
  js: JetStreamClient,
  stream: string,
  filter: string,
  onMsg: (m: ReadMsg) => void,
  signal: AbortSignal,
): Promise<void> {
  const c = await js.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.All,
  });
  const msgs = await c.consume();
  const stop = () => void msgs.close();
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  try {
    for await (const m of msgs) onMsg(toRead(m));
  } finally {
    signal.removeEventListener("abort", stop);
    await c.delete().catch(() => undefined);
  }
}
