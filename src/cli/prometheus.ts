import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { PRIORITY_NAMES, type AggregationStatus, type TaskPriority } from "../../subjects/index.js";
import type { Coordinator } from "../coordinator/coordinator.js";
import type { CoordinatorMetrics } from "../coordinator/metrics.js";

/**
 * Prometheus metrics for a coordinator (prom-client). Latency histograms are observed as events
 * happen; counts the components already keep (failovers, ejections, invalid messages, queue
 * depth, collectors by health) are read from their stats at scrape time.
 */
export class PrometheusMetrics implements CoordinatorMetrics {
  readonly registry = new Registry();
  readonly #tasks: Counter<"outcome" | "priority">;
  readonly #e2e: Histogram<"priority">;
  readonly #dispatch: Histogram<"priority">;
  #coord: Coordinator | undefined;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "collector_mesh_process_" });
    this.#tasks = new Counter({
      name: "collector_mesh_tasks_total",
      help: "Submissions ended, by outcome and priority",
      labelNames: ["outcome", "priority"],
      registers,
    });
    this.#e2e = new Histogram({
      name: "collector_mesh_task_duration_seconds",
      help: "End-to-end time from submit to the aggregated result",
      labelNames: ["priority"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#dispatch = new Histogram({
      name: "collector_mesh_dispatch_latency_seconds",
      help: "Time from submit to the publish of an attempt (queue wait and routing)",
      labelNames: ["priority"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    const stat = (fn: (c: Coordinator) => number) => () => (this.#coord ? fn(this.#coord) : 0);
    const routing = () => this.#coord?.router.stats();
    this.#gauge(
      "collector_mesh_queue_depth",
      "Tasks waiting for capacity",
      stat((c) => c.distributor.size()),
    );
    this.#gauge(
      "collector_mesh_tasks_in_flight",
      "Attempts published and not yet answered",
      stat((c) => c.stats().coordinator.inFlight),
    );
    new Gauge({
      name: "collector_mesh_collectors",
      help: "Collectors known to the router, by health",
      labelNames: ["health"],
      registers,
      collect() {
        const r = routing();
        this.set({ health: "healthy" }, r?.healthy ?? 0);
        this.set({ health: "degraded" }, r?.degraded ?? 0);
        this.set({ health: "unavailable" }, r?.unavailable ?? 0);
      },
    });
    this.#counter(
      "collector_mesh_failovers_total",
      "Failovers (instances whose tasks were moved)",
      stat((c) => c.stats().coordinator.failovers),
    );
    this.#counter(
      "collector_mesh_tasks_resent_total",
      "Attempts re-sent to another instance",
      stat((c) => c.stats().coordinator.resent),
    );
    this.#counter(
      "collector_mesh_ejections_total",
      "Instances ejected by the balancer",
      stat((c) => numberOf(c.balancer.stats(), "ejections")),
    );
    this.#counter(
      "collector_mesh_no_capable_collector_total",
      "Submissions no collector could serve",
      stat((c) => c.stats().coordinator.noCapable),
    );
    this.#counter(
      "collector_mesh_invalid_messages_total",
      "Messages that failed to decode or validate",
      stat((c) => c.invalidMessages()),
    );
  }

  /** Starts reading the coordinator's stats at scrape time. */
  bind(coord: Coordinator): this {
    this.#coord = coord;
    return this;
  }

  submissionEnded(priority: TaskPriority, outcome: AggregationStatus, e2eMs: number): void {
    const p = PRIORITY_NAMES[priority];
    this.#tasks.inc({ outcome, priority: p });
    this.#e2e.observe({ priority: p }, e2eMs / 1000);
  }

  dispatched(priority: TaskPriority, latencyMs: number): void {
    this.#dispatch.observe({ priority: PRIORITY_NAMES[priority] }, latencyMs / 1000);
  }

  #gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A counter whose value is a running total kept elsewhere: increments by the difference. */
  #counter(name: string, help: string, read: () => number): void {
    let last = 0;
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        const v = read();
        if (v > last) this.inc(v - last);
        last = Math.max(last, v);
      },
    });
  }
}

function numberOf(o: object, key: string): number {
  const v = (o as Record<string, unknown>)[key];
  return typeof v === "number" ? v : 0;
}

/** Serves `GET /metrics` in the Prometheus text format. */
export async function serveMetrics(
  metrics: PrometheusMetrics,
  port: number,
  host = "0.0.0.0",
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url !== "/metrics" && req.url !== "/")) {
      res.writeHead(404).end("not found\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
