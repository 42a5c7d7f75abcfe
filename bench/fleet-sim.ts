/**
 * A fleet simulator: many Collector SDK instances in one process, on one NATS connection, as
 * cheap per collector as the SDK is (their adverts share one hub: one bucket binding, one timer).
 *   node --import tsx bench/fleet-sim.ts <natsUrl> <json SimSpec>
 * Prints "started <epoch ms>" before the first collector starts, "ready <epoch ms>" once all have
 * advertised. SIGTERM stops them (adverts deleted) and exits 0; its stdin closing (the harness is
 * gone) does the same. A SIGKILL leaves their adverts to expire, as a crashed host would.
 */
import { connect } from "@nats-io/transport-node";
import { Collector } from "../src/collector/index.js";
import { exitWhenTold } from "./child-exit.js";

export interface SimSpec {
  prefix: string;
  /** Collector ids. */
  ids: string[];
  /** Capabilities of every collector. */
  caps: number;
  /** Ids that also advertise `extraCaps` (the few candidates of the throughput comparison). */
  extraIds: string[];
  extraCaps: number;
  maxConcurrency: number;
}

const [url, json] = process.argv.slice(2);
if (!url || !json) {
  console.error("usage: fleet-sim.ts <natsUrl> <json SimSpec>");
  process.exit(2);
}
const spec = JSON.parse(json) as SimSpec;
const nc = await connect({
  servers: url,
  name: `fleet-sim-${process.pid}`,
  maxReconnectAttempts: -1,
});
const extra = new Set(spec.extraIds);
/**
 * Echoes the payload; `{ upToMs }` first waits a random time up to that long, as a handler that
 * reads its host would.
 */
const answer = async (payload: unknown): Promise<unknown> => {
  const upToMs = (payload as { upToMs?: unknown } | undefined)?.upToMs;
  if (typeof upToMs === "number") {
    await new Promise((r) => setTimeout(r, Math.random() * upToMs));
  }
  return payload;
};
const collectors = spec.ids.map(
  (id) =>
    new Collector({
      id,
      type: "sim",
      capabilities: extra.has(id) ? spec.caps | spec.extraCaps : spec.caps,
      prefix: spec.prefix,
      maxConcurrency: spec.maxConcurrency,
      plainPath: false,
      handler: answer,
    }),
);
process.stdout.write(`started ${Date.now()}\n`);
await Promise.all(collectors.map((c) => c.start(nc)));
process.stdout.write(`ready ${Date.now()}\n`);

exitWhenTold(async () => {
  await Promise.allSettled(collectors.map((c) => c.stop()));
  await nc.close().catch(() => undefined);
}, 10_000);
