import { pino, type Logger } from "pino";
import type { CollectorAdvert } from "../../subjects/index.js";

let startedAt = 1_600_000_000_000;

/** A valid advert; heartbeatSeq 1, healthy, idle, unless overridden. */
export function advert(
  id: string,
  capabilities: number,
  over: Partial<CollectorAdvert> = {},
): CollectorAdvert {
  return {
    id,
    type: "test",
    capabilities,
    version: "1.0.0",
    health: "healthy",
    maxConcurrency: 10,
    inFlight: 0,
    weight: 1,
    labels: {},
    startedAt: over.startedAt ?? startedAt++,
    heartbeatSeq: 1,
    heartbeatAt: 0,
    ...over,
  };
}

/** The next heartbeat of `a`: same incarnation, heartbeatSeq + 1, with changes. */
export function beat(a: CollectorAdvert, over: Partial<CollectorAdvert> = {}): CollectorAdvert {
  return { ...a, heartbeatSeq: a.heartbeatSeq + 1, ...over };
}

/** A pino logger whose lines land in `lines`, parsed, for asserting what was logged. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: "debug" },
    {
      write(s: string) {
        lines.push(JSON.parse(s) as LogLine);
      },
    },
  );
  return { logger, lines };
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** pino's warn level. */
export const WARN = 40;
