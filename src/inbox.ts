import type { NatsConnection } from "@nats-io/nats-core";

/**
 * The connection's inbox prefix (nats.js `inboxPrefix`, `_INBOX` unless set): on a secured mesh
 * it is the only inbox the identity may read, so every reply subject is made under it. nats.js
 * keeps it in the connection's options, which the NatsConnection type does not show.
 */
export function connectionInboxPrefix(nc: NatsConnection): string {
  const options: unknown = (nc as { options?: unknown }).options;
  if (typeof options !== "object" || options === null) return "_INBOX";
  const prefix = (options as { inboxPrefix?: unknown }).inboxPrefix;
  return typeof prefix === "string" && prefix !== "" ? prefix : "_INBOX";
}
