import type { Coordinator } from "../coordinator/index.js";
import { PrometheusMetrics, serveMetrics } from "./prometheus.js";
import { CliError } from "./errors.js";

export interface MetricsEndpoint {
  readonly metrics: PrometheusMetrics;
  /** The port it listens on (the one picked when --metrics-port is 0). */
  readonly port: number;
  readonly host: string;
  /** Starts reading the coordinator's stats at scrape time. */
  bind(coordinator: Coordinator): void;
  close(): Promise<void>;
}

/**
 * Listens for `GET /metrics` (Prometheus text format) on `host:port` before anything else starts,
 * so that a port in use is a one-line error at once. The coordinator, created afterwards, reports
 * to `metrics` and is bound to the endpoint once it runs.
 */
export async function listenMetrics(opts: {
  port: number;
  host: string;
}): Promise<MetricsEndpoint> {
  const metrics = new PrometheusMetrics();
  let server: { port: number; close(): Promise<void> };
  try {
    server = await serveMetrics(metrics, opts.port, opts.host);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = `${opts.host}:${opts.port}`;
    const why: Record<string, string> = {
      EADDRINUSE: "the port is in use",
      EACCES: "not allowed (ports below 1024 need privileges)",
      EADDRNOTAVAIL: `${opts.host} is not an address of this machine`,
      ENOTFOUND: `unknown host ${opts.host}`,
    };
    throw new CliError(
      `--metrics-port: cannot listen on ${where}: ${why[e.code ?? ""] ?? e.code ?? String(err)}`,
    );
  }
  return {
    metrics,
    port: server.port,
    host: opts.host,
    bind: (coordinator) => void metrics.bind(coordinator),
    close: () => server.close(),
  };
}
