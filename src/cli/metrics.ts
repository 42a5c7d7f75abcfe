import type { Logger } from "pino";
import type { Coordinator } from "../coordinator/index.js";

export interface MetricsEndpointOptions {
  /** TCP port of the HTTP endpoint (`--metrics-port`, env METRICS_PORT); 0 picks a free one. */
  port: number;
  coordinator: Coordinator;
  logger: Logger;
}

/**
 * Hook for the coordinator's Prometheus endpoint (`GET /metrics` on `port`). Called by the
 * `coordinator` subcommand after the coordinator started, only when a port is given; the returned
 * function closes the endpoint and is awaited on exit.
 *
 * The endpoint itself is not built yet: this says so once and serves nothing.
 */
export async function startMetricsEndpoint(
  opts: MetricsEndpointOptions,
): Promise<() => Promise<void>> {
  opts.logger.warn(
    { port: opts.port },
    "the metrics endpoint is not available in this version; --metrics-port is ignored",
  );
  return Promise.resolve(() => Promise.resolve());
}
