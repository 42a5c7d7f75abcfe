import { createRequire } from "node:module";
import { pino, type DestinationStream } from "pino";
import { createLogger, loggerOptions, type Logger, type LoggerInit } from "../telemetry/logger.js";

type PrettyFactory = (opts: Record<string, unknown>) => DestinationStream;

/**
 * The command's logger: JSON lines, or lines made readable with pino-pretty when stdout is a
 * terminal (or `pretty` is set). pino-pretty is loaded only then.
 */
export function createCliLogger(opts: LoggerInit & { pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  if (!pretty) return createLogger(opts);
  const { PinoPretty } = createRequire(import.meta.url)("pino-pretty") as {
    PinoPretty: PrettyFactory;
  };
  return pino(
    loggerOptions(opts),
    PinoPretty({
      colorize: opts.destination === undefined,
      sync: true,
      ignore: "pid,hostname",
      ...(opts.destination ? { destination: opts.destination } : {}),
    }),
  );
}
