/**
 * Peer: Moleculer 0.14 over its NATS transporter (the `nats` v2 client). A worker broker (in the
 * child process) serves the action `echo.echo`; a caller broker (in the bench process) calls it.
 * Both brokers keep Moleculer's defaults (RoundRobin strategy, request tracking, `requestTimeout`
 * 0, no retries, no circuit breaker, validator on), except that logging is off and Moleculer does
 * not install its own signal handlers (the harness stops the brokers itself).
 */
import { createRequire } from "node:module";
import Moleculer from "moleculer";
import type { RoundTrip } from "./stats.js";

const { ServiceBroker } = Moleculer;

/** Moleculer's serializers measured: its default (JSON) and MessagePack (msgpack5). */
export const MOLECULER_SERIALIZERS = ["JSON", "MsgPack"] as const;
export type MoleculerSerializer = (typeof MOLECULER_SERIALIZERS)[number];

export interface MoleculerSpec {
  /** Moleculer namespace: the NATS subjects are `MOL-<namespace>.…`. */
  namespace: string;
  serializer: MoleculerSerializer;
}

const SERVICE = "echo";
const ACTION = `${SERVICE}.echo`;

function brokerOptions(url: string, spec: MoleculerSpec, nodeID: string): Moleculer.BrokerOptions {
  return {
    namespace: spec.namespace,
    nodeID,
    transporter: { type: "NATS", options: { url } },
    serializer: spec.serializer,
    logger: false,
    skipProcessEventRegistration: true,
  };
}

/** The worker: a broker with one service whose action returns its `payload` parameter. */
export async function startMoleculerWorker(
  url: string,
  spec: MoleculerSpec,
): Promise<() => Promise<void>> {
  const broker = new ServiceBroker(brokerOptions(url, spec, `${spec.namespace}-worker`));
  broker.createService({
    name: SERVICE,
    actions: {
      echo: {
        // A declared parameter, as a Moleculer service would have: the validator checks it.
        params: { payload: "string" },
        handler(ctx: Moleculer.Context<{ payload: string }>): string {
          return ctx.params.payload;
        },
      },
    },
  });
  await broker.start();
  return () => broker.stop();
}

/** The caller: `call()` is one `broker.call("echo.echo", { payload })` round trip. */
export class MoleculerCaller {
  readonly #broker: Moleculer.ServiceBroker;
  readonly #params: { payload: string };
  /** Calls whose reply was not the payload sent (any is a failed run). */
  failures = 0;

  private constructor(broker: Moleculer.ServiceBroker, payload: string) {
    this.#broker = broker;
    this.#params = { payload };
  }

  static async start(url: string, spec: MoleculerSpec, payload: string): Promise<MoleculerCaller> {
    const broker = new ServiceBroker(brokerOptions(url, spec, `${spec.namespace}-caller`));
    await broker.start();
    try {
      await broker.waitForServices([SERVICE], 15_000);
    } catch (err) {
      await broker.stop();
      throw err;
    }
    return new MoleculerCaller(broker, payload);
  }

  readonly call: RoundTrip = async () => {
    const r = await this.#broker.call<string, { payload: string }>(ACTION, this.#params);
    if (r !== this.#params.payload) this.failures++;
  };

  stop(): Promise<void> {
    return this.#broker.stop();
  }
}

/** Versions of Moleculer and of the NATS client its transporter loads. */
export function moleculerVersions(): { moleculer: string; nats: string } {
  const require = createRequire(import.meta.url);
  const nats = require("nats/package.json") as { version: string };
  return { moleculer: Moleculer.MOLECULER_VERSION, nats: nats.version };
}
