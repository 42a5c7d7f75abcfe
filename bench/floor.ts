/**
 * The floor: plain NATS doing the round trip the coordinated path does, with nothing of ours on
 * it. One long-lived wildcard reply subscription with a correlation map, a publish with a reply
 * subject per request, an echo responder on its own connection, a 256-byte payload.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import type { RoundTrip } from "./stats.js";

export const FLOOR_SUBJECT = "bench.floor.echo";
const REPLY_PREFIX = "bench.floor.reply.";

/** A requester on `nc`: `request()` resolves when the echo of its payload comes back. */
export class FloorRequester {
  readonly #nc: NatsConnection;
  readonly #payload: Uint8Array;
  readonly #pending = new Map<string, () => void>();
  #seq = 0;

  constructor(nc: NatsConnection, payload: Uint8Array) {
    this.#nc = nc;
    this.#payload = payload;
    nc.subscribe(`${REPLY_PREFIX}>`, {
      callback: (err, msg) => {
        if (err) return;
        const id = msg.subject.slice(REPLY_PREFIX.length);
        const done = this.#pending.get(id);
        if (done === undefined) return;
        this.#pending.delete(id);
        done();
      },
    });
  }

  readonly request: RoundTrip = () =>
    new Promise<void>((resolve) => {
      const id = (this.#seq++).toString(36);
      this.#pending.set(id, resolve);
      this.#nc.publish(FLOOR_SUBJECT, this.#payload, { reply: REPLY_PREFIX + id });
    });

  get pending(): number {
    return this.#pending.size;
  }
}
