import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Coordinator } from "../src/coordinator/index.js";
import { Collector } from "../src/collector/index.js";
import { PrometheusMetrics, serveMetrics } from "../src/cli/prometheus.js";
import { SourceCaps } from "../subjects/index.js";
import { startMesh, until, type Mesh } from "./support/nats-server.js";

/** Parses the Prometheus text format into `name{labels}` → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

describe("metrics - Prometheus endpoint of a coordinator", () => {
  let mesh: Mesh;
  beforeAll(async () => {
    mesh = await startMesh();
  });
  afterAll(async () => {
    await mesh.dispose();
  });

  it("metrics - tasks by outcome and priority, latency histograms, queue depth, collectors by health, failures", async () => {
    const p = "metrics";
    const cnc = await mesh.connect("collector");
    const collector = new Collector({
      id: "m1",
      type: "test",
      capabilities: SourceCaps.PROCESS,
      prefix: p,
      handler: (x) => x,
    });
    await collector.start(cnc);
    const metrics = new PrometheusMetrics();
    const coord = new Coordinator({ nc: await mesh.connect("coord"), prefix: p, metrics });
    metrics.bind(coord);
    await coord.start();
    const server = await serveMetrics(metrics, 0, "127.0.0.1");
    try {
      await until(() => coord.router.get("m1"), 5000, "collector routable");
      for (let i = 0; i < 5; i++)
        await coord.submit({ requiredCapabilities: "PROCESS", payload: i }, { priority: "high" });
      await coord.submit(
        { requiredCapabilities: "PROCESS", payload: "c" },
        { priority: "critical" },
      );
      await expect(coord.submit({ requiredCapabilities: "NETWORK" })).rejects.toThrow(
        /no collector/,
      );
      await mesh.nc.request(`${p}.api.submit`, new Uint8Array([0xc1]), { timeout: 2000 });

      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/text\/plain/);
      const m = parse(await res.text());
      expect(m.get('collector_mesh_tasks_total{outcome="complete",priority="high"}')).toBe(5);
      expect(m.get('collector_mesh_tasks_total{outcome="complete",priority="critical"}')).toBe(1);
      expect(m.get('collector_mesh_task_duration_seconds_count{priority="high"}')).toBe(5);
      expect(m.get('collector_mesh_dispatch_latency_seconds_count{priority="high"}')).toBe(5);
      expect(m.get("collector_mesh_queue_depth")).toBe(0);
      expect(m.get('collector_mesh_collectors{health="healthy"}')).toBe(1);
      expect(m.get("collector_mesh_no_capable_collector_total")).toBe(1);
      expect(m.get("collector_mesh_invalid_messages_total")).toBe(1);
      expect(m.get("collector_mesh_failovers_total")).toBe(0);
      expect(m.has("collector_mesh_ejections_total")).toBe(true);
      expect((await fetch(`http://127.0.0.1:${server.port}/nope`)).status).toBe(404);
    } finally {
      await server.close();
      await coord.stop();
      await collector.stop();
    }
  });
});
