/**
 * The fleet phase's hunt: one hunt over every simulated collector, run by the fleet's
 * coordinator. Reports the time to full coverage (first part sent to last part answered, from
 * the claims), the rate the runner kept, and per-instance completeness (each collector's part:
 * ok, error, timed out, lost, cancelled, or missing).
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { Hunts } from "../src/hunts/client.js";
import { SourceCaps } from "../subjects/index.js";
import { sleep } from "./stats.js";

/** New parts per second the hunt asks for. */
const RATE = 5000;
const POLL_MS = 500;
const LIMIT_MS = 300_000;

export async function benchHunt(
  nc: NatsConnection,
  prefix: string,
  ids: readonly string[],
  log: (msg: string) => void,
): Promise<Record<string, unknown>> {
  const hunts = new Hunts(nc, { prefix, owner: "bench" });
  const t0 = performance.now();
  const h = await hunts.start({
    requiredCapabilities: SourceCaps.PROCESS,
    payload: { q: "fleet" },
    ratePerSec: RATE,
    timeoutMs: 30_000,
    maxErrorRate: 1,
  });
  let view = await hunts.show(h.huntId);
  for (;;) {
    const settled = view.parts.filter((p) => p.state !== "sent").length;
    if (settled >= ids.length) break;
    if (performance.now() - t0 > LIMIT_MS) break;
    await sleep(POLL_MS);
    view = await hunts.show(h.huntId);
    log(`fleet: hunt ${settled} of ${ids.length} parts settled`);
  }
  const seenMs = Math.round(performance.now() - t0);
  const sent = view.parts.map((p) => p.sentAt);
  const done = view.parts.map((p) => p.finishedAt ?? 0);
  const first = Math.min(...sent);
  const span = Math.max(...sent) - first;
  const byId = new Set(view.parts.map((p) => p.collectorId));
  const t1 = performance.now();
  await hunts.show(h.huntId);
  const showMs = Math.round(performance.now() - t1);
  await hunts.stop(h.huntId, "benchmark done");
  return {
    collectors: ids.length,
    rate_asked_per_s: RATE,
    full_coverage_ms: Math.max(...done) - first,
    seen_by_client_ms: seenMs,
    parts_sent_per_s: span > 0 ? Math.round(((sent.length - 1) * 1000) / span) : undefined,
    completeness: { ...view.counts, missing: ids.filter((id) => !byId.has(id)).length },
    runs_above_one: view.parts.filter((p) => p.runs > 1).length,
    hunt_show_ms: showMs,
  };
}
