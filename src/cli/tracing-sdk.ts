import { context, propagation, trace } from "@opentelemetry/api";

/**
 * OpenTelemetry SDK wiring for programs (the CLI's coordinator and collectors), never for the
 * library. With no OTLP endpoint in the environment nothing is loaded: no SDK cost at all.
 * With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans go
 * over OTLP/HTTP through a batch processor, with W3C trace context propagation.
 */
export interface TracingHandle {
  readonly enabled: boolean;
  /** Flushes pending spans and shuts the SDK down. */
  shutdown(): Promise<void>;
}

export function otlpConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export async function startTracing(
  serviceName: string,
  attributes: Record<string, string> = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<TracingHandle> {
  if (!otlpConfigured(env) || env.OTEL_SDK_DISABLED === "true") {
    return { enabled: false, shutdown: () => Promise.resolve() };
  }
  const [
    { TracerProvider, BatchSpanProcessor },
    { OTLPTraceExporter },
    { resourceFromAttributes },
    core,
    hooks,
  ] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/core"),
    import("@opentelemetry/context-async-hooks"),
  ]);
  const exporter = new OTLPTraceExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME || serviceName,
      "service.namespace": "collector-mesh",
      ...attributes,
    }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter, scheduledDelayMillis: 500, maxExportBatchSize: 512 }),
    ],
  });
  const cm = new hooks.AsyncLocalStorageContextManager();
  cm.enable();
  context.setGlobalContextManager(cm);
  propagation.setGlobalPropagator(
    new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
  let done = false;
  return {
    enabled: true,
    async shutdown() {
      if (done) return;
      done = true;
      await provider.forceFlush().catch(() => undefined);
      await provider.shutdown().catch(() => undefined);
    },
  };
}
