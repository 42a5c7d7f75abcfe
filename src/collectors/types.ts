import type { z } from "zod";

/** The reference collectors shipped with collector-mesh. */
export const CollectorType = {
  Procmond: "procmond",
  Netmond: "netmond",
  Fsmond: "fsmond",
} as const;
export type CollectorType = (typeof CollectorType)[keyof typeof CollectorType];
export const COLLECTOR_TYPES = Object.values(CollectorType) as [CollectorType, ...CollectorType[]];

/**
 * What a reference collector's handler needs from the task runner. The Collector SDK passes more
 * (the task, the collector id); the handlers only read the abort signal, which fires on the task's
 * deadline or on shutdown.
 */
export interface CollectorContext {
  readonly signal: AbortSignal;
}

/** Validates `payload` against the collector's payload schema, does the work, returns the result. */
export type CollectorHandler<R = unknown> = (payload: unknown, ctx: CollectorContext) => Promise<R>;

/** The two levels the collectors log at; a pino logger fits. */
export interface CollectorLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of `createHandler`; every field has a default (see `options.ts`). */
export interface ReferenceCollectorOptions {
  /** Mount point of the proc filesystem (procmond, netmond). Default `/proc`. */
  procRoot?: string;
  /** Directories fsmond may read below (fsmond). Default: the system temp dir and `/var/log`. */
  roots?: readonly string[];
  /** Largest file hashed, in bytes (procmond executables, fsmond files). Default 256 MiB. */
  maxHashBytes?: number;
  /** Budget for one result's encoded size, in bytes; longer lists are truncated. */
  maxResultBytes?: number;
  logger?: CollectorLogger;
}

/** A reference collector: its advert facts, its wire schemas and a factory of its task handler. */
export interface ReferenceCollector<P = unknown, R = unknown> {
  readonly type: CollectorType;
  /** SourceCaps flags it advertises. */
  readonly capabilities: number;
  readonly defaultMaxConcurrency: number;
  /** One line for `--help` and status tables. */
  readonly description: string;
  /** zod schema of the task payload (after defaults: `z.output`). */
  readonly payloadSchema: z.ZodType<P>;
  /** zod schema of the result payload. */
  readonly resultSchema: z.ZodType<R>;
  createHandler(opts?: ReferenceCollectorOptions): CollectorHandler<R>;
}
