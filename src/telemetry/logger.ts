import { hostname } from "node:os";
import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { PinoPretty } from "pino-pretty";
import { trace, context } from "@opentelemetry/api";

export type { Logger };

/**
 * pino JSON logger. `LOG_LEVEL` sets the level (default info). When a span is active its
 * trace_id and span_id are added to each line. When stdout is a terminal (or `pretty` is set)
 * lines are made readable with pino-pretty instead of JSON.
 */
export function createLogger(
  opts: {
    name?: string;
    level?: string;
    bindings?: Record<string, unknown>;
    pretty?: boolean;
    /** Where lines go (default stdout). */
    destination?: DestinationStream;
  } = {},
): Logger {
  const options: LoggerOptions = {
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
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino(options, PinoPretty({ colorize: true, sync: true, ignore: "pid,hostname" }));
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing (library default when the caller gives none). */
export const silentLogger: Logger = pino({ level: "silent" });
