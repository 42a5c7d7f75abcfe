/**
 * A collector in its own process, for tests that SIGKILL instances:
 *   node --import tsx test/support/collector-child.ts <natsUrl> <json options>
 * options: { id, caps, prefix?, maxConcurrency?, delayMs?, slowAttempts?, hang?, heartbeatMs?, ttlMs?,
 * progressMs?, reportAborts? }
 * The handler echoes { echo: payload, by: id } after delayMs (only for attempts below
 * slowAttempts, when given), or never, with hang; with reportAborts it prints
 * `aborted <taskId> attempt <n>: <code>` when a run is aborted (cancelled, or on stop).
 * Prints "ready" on stdout once advertised; SIGTERM drains and exits 0. With
 * OTEL_EXPORTER_OTLP_ENDPOINT set it exports its spans there.
 */
import { connect } from "@nats-io/transport-node";
import { Collector } from "../../src/collector/index.js";
import { startTracing } from "../../src/cli/tracing-sdk.js";

import type { ChildCollectorOptions } from "./nats-server.js";

const [url, json] = process.argv.slice(2);
if (!url || !json) {
  console.error("usage: collector-child <natsUrl> <json options>");
  process.exit(2);
}
const o = JSON.parse(json) as ChildCollectorOptions;
const tracing = await startTracing(`test-collector-${o.id}`, { "service.instance.id": o.id });
const nc = await connect({ servers: url, name: o.id, maxReconnectAttempts: -1 });
const collector = new Collector({
  id: o.id,
  type: "test",
  capabilities: o.caps,
  prefix: o.prefix,
  maxConcurrency: o.maxConcurrency ?? 8,
  heartbeatMs: o.heartbeatMs,
  ttlMs: o.ttlMs,
  progressMs: o.progressMs,
  handler: async (payload, ctx) => {
    if (o.reportAborts) {
      ctx.signal.addEventListener("abort", () => {
        const code = (ctx.signal.reason as { code?: string } | undefined)?.code ?? "no code";
        process.stdout.write(`aborted ${ctx.task.taskId} attempt ${ctx.task.attempt}: ${code}\n`);
      });
    }
    if (o.hang) await new Promise(() => undefined);
    const slow = o.slowAttempts === undefined || ctx.task.attempt < o.slowAttempts;
    if (o.delayMs && slow) await new Promise((r) => setTimeout(r, o.delayMs));
    return { echo: payload, by: o.id };
  },
});
await collector.start(nc);
process.stdout.write("ready\n");
const shutdown = async () => {
  await collector.stop();
  await nc.close();
  await tracing.shutdown();
  process.exit(0);
};
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
