/**
 * The coordinated path end to end: Coordinator.submit (router, balancer, distributor, msgpack +
 * zod on both sides, result inbox, aggregator) to Collector SDK instances whose handler echoes.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { Coordinator } from "../src/coordinator/index.js";
import type { SubmitMode } from "../subjects/index.js";
import { sleep, type RoundTrip } from "./stats.js";

export interface E2eOptions {
  nc: NatsConnection;
  prefix: string;
  caps: number;
  payload: Uint8Array;
  /** Submits through the durable streams (default: the in-memory fast path). */
  durable?: boolean;
}

/** A started coordinator and the submit round trips the benchmark drives. */
export class E2eClient {
  readonly coordinator: Coordinator;
  readonly #caps: number;
  readonly #payload: Uint8Array;
  /** mode `one`: the balancer's pick runs it. */
  readonly one: RoundTrip;
  /** mode `all`: every capable instance runs it; resolves with all parts aggregated. */
  readonly all: RoundTrip;
  /** Submissions that did not end `complete` (any is a failed run). */
  failures = 0;

  private constructor(coordinator: Coordinator, o: E2eOptions) {
    this.coordinator = coordinator;
    this.#caps = o.caps;
    this.#payload = o.payload;
    this.one = this.#submit("one");
    this.all = this.#submit("all");
  }

  static async start(o: E2eOptions): Promise<E2eClient> {
    // The in-memory fast path; the durable path is measured as its own phase.
    const coordinator = new Coordinator({
      nc: o.nc,
      id: `bench-${o.prefix}`,
      prefix: o.prefix,
      durable: o.durable ?? false,
    });
    await coordinator.start();
    return new E2eClient(coordinator, o);
  }

  /** Waits until the router sees `n` collectors with the benchmark's capabilities. */
  async waitForCollectors(n: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let seen = 0;
      try {
        seen = this.coordinator.router.findCapable(this.#caps).length;
      } catch {
        seen = 0;
      }
      if (seen >= n) return;
      if (Date.now() > deadline) {
        throw new Error(`the coordinator saw ${seen} of ${n} collectors in ${timeoutMs} ms`);
      }
      await sleep(20);
    }
  }

  #submit(mode: SubmitMode): RoundTrip {
    const spec = { requiredCapabilities: this.#caps, payload: this.#payload };
    const opts = { mode, timeoutMs: 30_000 };
    return async () => {
      const r = await this.coordinator.submit(spec, opts);
      if (r.status !== "complete") this.failures++;
    };
  }

  stop(): Promise<void> {
    return this.coordinator.stop();
  }
}
