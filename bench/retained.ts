/**
 * What a coordinator keeps of finished results: 400 results of 900 KB through one coordinator
 * (a collector in a child process answers each task with 900 KB), then the coordinator's resident
 * set after a full garbage collection. `--ring-bytes` sets the aggregator's completedRingBytes:
 * a huge value keeps every finished result, as the ring did when it was bounded by count alone.
 *
 *   node --expose-gc --import tsx bench/retained.ts [--ring-bytes N] [--durable] [--tasks 400] [--kb 900]
 *
 * prints one JSON line. (The collector side: `bench/retained.ts --collector <url> <prefix> <kb>`.)
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect } from "@nats-io/transport-node";
import { Collector } from "../src/collector/index.js";
import { Coordinator } from "../src/coordinator/index.js";
import { NatsServer } from "../src/server/nats-server.js";
import { SourceCaps } from "../subjects/index.js";

const MB = 1024 * 1024;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const rssMb = () => Math.round((process.memoryUsage().rss / MB) * 10) / 10;
const heapMb = () => Math.round((process.memoryUsage().heapUsed / MB) * 10) / 10;

async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function collectorSide(url: string, prefix: string, kb: number): Promise<void> {
  const nc = await connect({ servers: url });
  const blob = "x".repeat(kb * 1024);
  const c = new Collector({
    id: "big-1",
    type: "bench",
    capabilities: SourceCaps.PROCESS,
    prefix,
    maxConcurrency: 16,
    maxTaskBytes: 1024,
    handler: (payload) => ({ n: payload, blob }),
  });
  await c.start(nc);
  process.stdout.write("ready\n");
  process.once("SIGTERM", () => void c.stop().then(() => process.exit(0)));
}

async function main(): Promise<void> {
  if (process.argv.includes("--collector")) {
    const [url, prefix, kb] = process.argv.slice(process.argv.indexOf("--collector") + 1);
    await collectorSide(url as string, prefix as string, Number(kb));
    return;
  }
  const tasks = arg("--tasks", 400);
  const kb = arg("--kb", 900);
  const ringBytes = process.argv.includes("--ring-bytes") ? arg("--ring-bytes", 0) : undefined;
  const durable = process.argv.includes("--durable");
  const ns = await NatsServer.start({ jetstream: true });
  const prefix = "retained";
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", script, "--collector", ns.url, prefix, String(kb)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`collector exited (${code})`)));
  });
  const nc = await connect({ servers: ns.url, maxPingOut: 10 });
  const coord = new Coordinator({
    nc,
    prefix,
    durable,
    ...(ringBytes !== undefined ? { aggregator: { completedRingBytes: ringBytes } } : {}),
  });
  await coord.start();
  const { until } = await import("../test/support/nats-server.js");
  await until(() => coord.router.get("big-1"), 5000, "collector routable");
  await settle();
  const start = { rss_mb: rssMb(), heap_mb: heapMb() };
  let next = 0;
  let complete = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < tasks) {
      const i = next++;
      const r = await coord.submit(
        { requiredCapabilities: SourceCaps.PROCESS, payload: i },
        { timeoutMs: 60_000 },
      );
      if (r.status === "complete") complete++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  const seconds = Math.round(performance.now() - t0) / 1000;
  await settle();
  const agg = coord.aggregator.stats();
  const out = {
    tasks,
    result_kb: kb,
    durable,
    completed_ring_bytes: coord.aggregator.options.completedRingBytes,
    complete,
    seconds,
    start,
    end: { rss_mb: rssMb(), heap_mb: heapMb() },
    retained: agg.retained,
    retained_mb: Math.round((agg.retainedBytes / MB) * 10) / 10,
  };
  await coord.stop();
  await nc.close();
  child.kill("SIGTERM");
  await ns.stop();
  console.log(JSON.stringify(out));
}

await main();
