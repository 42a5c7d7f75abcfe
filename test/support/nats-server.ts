import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  NatsServer,
  natsServerVersion,
  findNatsServer,
  NATS_SERVER_INSTALL_HINT,
} from "../../src/server/nats-server.js";

export { NatsServer };

/** Fails fast, with install instructions, when nats-server is missing. */
export function requireNatsServer(): void {
  if (!findNatsServer()) throw new Error(NATS_SERVER_INSTALL_HINT);
}

export interface Mesh extends AsyncDisposable {
  ns: NatsServer;
  nc: NatsConnection;
  /** A further connection to the same server, closed by dispose. */
  connect(name?: string): Promise<NatsConnection>;
  dispose(): Promise<void>;
}

/** A fresh JetStream server and a connection; dispose closes both and removes the store. */
export async function startMesh(): Promise<Mesh> {
  requireNatsServer();
  const ns = await NatsServer.start({ jetstream: true });
  const conns: NatsConnection[] = [];
  const open = async (name?: string) => {
    const c = await connect({
      servers: ns.url,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    conns.push(c);
    return c;
  };
  const nc = await open("test");
  const dispose = async () => {
    await Promise.allSettled(conns.map((c) => c.close()));
    await ns.stop();
  };
  return { ns, nc, connect: open, dispose, [Symbol.asyncDispose]: dispose };
}

/** True when the installed server is at least `min` (e.g. "2.10"). */
export function serverAtLeast(min: string): boolean {
  const v = natsServerVersion() ?? "0.0.0";
  const a = v.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/** Polls `fn` until it returns a truthy value, or throws after `ms`. Never a fixed sleep. */
export async function until<T>(
  fn: () => T | Promise<T>,
  ms = 5000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
