/** NATS header names that are part of the wire contract. */
export const MeshHeaders = {
  /** W3C trace context, parent span of the receiver. */
  TraceParent: "traceparent",
  /** W3C trace state, carried unchanged. */
  TraceState: "tracestate",
  /** Stable error code of an error reply (see ErrorCode). */
  ErrorCode: "Mesh-Error-Code",
  /** Human-readable error message of an error reply. */
  Error: "Mesh-Error",
  /** What a message on a results subject is: `plan`, `result` or `verdict`. */
  Record: "Mesh-Record",
  /**
   * On a task's reply subject, an empty message that says the handler is still working: the
   * coordinator gives the attempt more time. Collectors send one now and then while a task runs.
   */
  Progress: "Mesh-Progress",
  /** A streamed api reply that only says the submission is still running (empty body). */
  Keepalive: "Mesh-Keepalive",
  /** The coordinator that observed an event or owns a submission. */
  Coordinator: "Mesh-Coordinator",
  /**
   * On a Result from a collector that signs: the ed25519 signature (64 bytes, base64url without
   * padding) of the message body exactly as the collector sent it, by the key in its advert's
   * `signingKey`. Results passed on (results stream, streamed api reply) keep those bytes and it.
   */
  Signature: "Mesh-Signature",
} as const;
export type HeaderName = (typeof MeshHeaders)[keyof typeof MeshHeaders];
