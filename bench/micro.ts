/**
 * Peer: a NATS micro service (`@nats-io/services`) with one echo endpoint, called with
 * `nc.request()` (nats.js's shared reply inbox, a timer per request), as a NATS user would.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { Svcm } from "@nats-io/services";
import type { RoundTrip } from "./stats.js";

export const MICRO_SUBJECT = "bench.micro.echo";
/**
 * Each request arms a timer (nats.js's default is 1 s; 5 s here so that a loaded machine cannot
 * fail a run). It is never reached on a healthy run.
 */
const REQUEST_TIMEOUT_MS = 5_000;

/** The service, on its own connection: each request's data goes back unchanged. */
export async function startMicroEcho(url: string, subject: string): Promise<() => Promise<void>> {
  const nc = await connect({ servers: url, name: "bench-micro" });
  const svc = await new Svcm(nc).add({ name: "bench-echo", version: "1.0.0" });
  svc.addEndpoint("echo", {
    subject,
    handler: (err, msg) => {
      if (!err) msg.respond(msg.data);
    },
  });
  await nc.flush();
  return async () => {
    await svc.stop();
    await nc.close();
  };
}

/** `request()` is one `nc.request(subject, payload)` round trip on the bench's connection. */
export class MicroCaller {
  readonly #nc: NatsConnection;
  readonly #subject: string;
  readonly #payload: Uint8Array;
  /** Replies that were not the payload sent (any is a failed run). */
  failures = 0;

  constructor(nc: NatsConnection, subject: string, payload: Uint8Array) {
    this.#nc = nc;
    this.#subject = subject;
    this.#payload = payload;
  }

  readonly request: RoundTrip = async () => {
    const m = await this.#nc.request(this.#subject, this.#payload, {
      timeout: REQUEST_TIMEOUT_MS,
    });
    if (m.data.length !== this.#payload.length) this.failures++;
  };
}

/** The version of @nats-io/services in use. */
export function servicesVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@nats-io/services");
  const pkg = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}
