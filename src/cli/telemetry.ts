import { startTracing } from "./tracing-sdk.js";

/**
 * Where the command wires the OpenTelemetry SDK (the library itself depends on the API only).
 *
 * Called by the `coordinator` and `collector` subcommands at start-up with their service.name
 * (`collector-mesh-coordinator`, or the collector type) and the instance id as an attribute; the
 * returned function flushes and shuts the SDK down and is awaited on exit. Without
 * OTEL_EXPORTER_OTLP_ENDPOINT nothing is loaded and the shutdown is a no-op.
 */
export async function startTelemetry(
  serviceName: string,
  attrs: Record<string, string>,
): Promise<() => Promise<void>> {
  const handle = await startTracing(serviceName, attrs);
  return () => handle.shutdown();
}
