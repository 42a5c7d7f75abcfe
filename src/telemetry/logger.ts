import { hostname } from "node:os";
import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { trace, context } from "@opentelemetry/api";

export type { Logger };

export interface LoggerInit {
  name?: string;
  level?: string;
  bindings?: Record<string, unknown>;
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
}

/** The options every collector-mesh logger shares: level, base fields, trace ids. */
export function loggerOptions(opts: LoggerInit = {}): LoggerOptions {
  return {
    name: opts.name ?? "collector-mesh",
    level: opts.level ?? process.env.LOG_LEVEL ?? "info",
    base: { pid: process.pid, hostname: hostname(), ...opts.bindings },
    mixin() {
      const span = trace.getSpan(context.active());
      if (!span) return {};
      const sc = span.spanContext();
      return { trace_id: sc.traceId, span_id: sc.spanId };
    },
  };
}

/**
 * pino JSON logger. `LOG_LEVEL` sets the level (default info). When a span is active its
 * trace_id and span_id are added to each line. (The collector-mesh command makes lines readable
 * on a terminal; the library writes JSON.)
 */
export function createLogger(opts: LoggerInit = {}): Logger {
  const options = loggerOptions(opts);
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing (library default when the caller gives none). */
export const silentLogger: Logger = pino({ level: "silent" });
