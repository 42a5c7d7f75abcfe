import { pino, type Logger, type LoggerOptions } from "pino";
import { trace, context } from "@opentelemetry/api";

export type { Logger };

/**
 * pino JSON logger. `LOG_LEVEL` sets the level (default info). When a span is active its
 * trace_id and span_id are added to each line.
 */
export function createLogger(
  opts: { name?: string; level?: string; bindings?: Record<string, unknown> } = {},
): Logger {
  const options: LoggerOptions = {
    name: opts.name ?? "collector-mesh",
    level: opts.level ?? process.env.LOG_LEVEL ?? "info",
    base: { pid: process.pid, ...opts.bindings },
    mixin() {
      const span = trace.getSpan(context.active());
      if (!span) return {};
      const sc = span.spanContext();
      return { trace_id: sc.traceId, span_id: sc.spanId };
    },
  };
  return pino(options);
}

/** A logger that writes nothing (library default when the caller gives none). */
export const silentLogger: Logger = pino({ level: "silent" });
