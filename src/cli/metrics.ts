import type { Logger } from "pino";
import type { Coordinator } from "../coordinator/index.js";
import { PrometheusMetrics, serveMetrics } from "./prometheus.js";

export interface MetricsEndpointOptions {
  /** TCP port of the HTTP endpoint (`--metrics-port`, env METRICS_PORT); 0 picks a free one. */
  port: number;
  coordinator: Coordinator;
  metrics: PrometheusMetrics;
  logger: Logger;
}

/** The coordinator's Prometheus metrics: created before the coordinator, which reports to them. */
export function createMetrics(): PrometheusMetrics {
  return new PrometheusMetrics();
}

/**
 * Serves `GET /metrics` (Prometheus text format) on `port`; the returned function closes it and
 * is awaited on exit.
 */
export async function startMetricsEndpoint(
  opts: MetricsEndpointOptions,
): Promise<() => Promise<void>> {
  opts.metrics.bind(opts.coordinator);
  const server = await serveMetrics(opts.metrics, opts.port);
  opts.logger.info({ port: server.port }, "serving Prometheus metrics on /metrics");
  return () => server.close();
}
