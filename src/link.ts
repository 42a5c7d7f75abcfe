import type { NatsConnection } from "@nats-io/nats-core";

/** What happened to a connection's link to its server. */
export type LinkChange = "disconnect" | "reconnect";

/**
 * Tells `on` of each disconnect and reconnect of `nc`, until the connection closes or, at its
 * next status, `stopped()` is true. `on` must not throw.
 */
export async function followLink(
  nc: NatsConnection,
  on: (change: LinkChange, server: string) => void,
  stopped: () => boolean = () => false,
): Promise<void> {
  for await (const s of nc.status()) {
    if (stopped()) break;
    if (s.type === "disconnect" || s.type === "reconnect") on(s.type, s.server);
  }
}
