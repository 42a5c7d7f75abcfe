import type { Msg } from "@nats-io/nats-core";
import { ErrorCode, RETRYABLE_CODES, ERROR_CODES } from "../subjects/codes.js";
import { Headers } from "../subjects/headers.js";

export { ErrorCode };

/** Base of every error collector-mesh raises. `code` is stable and travels on the wire. */
export class MeshError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "MeshError";
    this.code = code;
    this.retryable = RETRYABLE_CODES.has(code);
  }

  /** `err` itself when it is a MeshError, else an INTERNAL one that keeps it as its cause. */
  static from(err: unknown): MeshError {
    if (err instanceof MeshError) return err;
    return new MeshError(ErrorCode.Internal, err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }

  /** Rebuilds the error carried in a reply's headers, or returns undefined when there is none. */
  static fromMsg(msg: Pick<Msg, "headers">): MeshError | undefined {
    const h = msg.headers;
    if (!h) return undefined;
    const code = h.get(Headers.ErrorCode);
    if (!code) return undefined;
    const known = (ERROR_CODES as readonly string[]).includes(code)
      ? (code as ErrorCode)
      : ErrorCode.Internal;
    return new MeshError(known, h.get(Headers.Error) || code);
  }
}

/** A message failed to decode or validate. Changes no state. */
export class InvalidMessageError extends MeshError {
  readonly subject: string | undefined;
  /** zod issue paths, dotted (`payload.pid`), or the decode stage (`<msgpack>`, `<size>`). */
  readonly paths: readonly string[];
  constructor(
    message: string,
    opts: { subject?: string; paths?: readonly string[]; cause?: unknown } = {},
  ) {
    super(ErrorCode.InvalidMessage, message, { cause: opts.cause });
    this.name = "InvalidMessageError";
    this.subject = opts.subject;
    this.paths = opts.paths ?? [];
  }
}

/** An option or argument is out of its domain. */
export class InvalidArgumentError extends MeshError {
  readonly property: string;
  constructor(property: string, reason: string) {
    super(ErrorCode.InvalidArgument, `'${property}' ${reason}`);
    this.name = "InvalidArgumentError";
    this.property = property;
  }
}

/** A subject token would break the subject (empty, `.`, `*`, `>`, whitespace, too long). */
export class InvalidSubjectTokenError extends MeshError {
  readonly token: string;
  constructor(what: string, token: string) {
    super(
      ErrorCode.InvalidSubjectToken,
      `invalid ${what} ${JSON.stringify(token.slice(0, 64))}: a subject token must be 1-256 characters without '.', '*', '>' or whitespace`,
    );
    this.name = "InvalidSubjectTokenError";
    this.token = token;
  }
}

/** No registered collector advertises every required capability. */
export class NoCapableCollectorError extends MeshError {
  readonly required: number;
  readonly capabilities: string;
  constructor(required: number, capabilities: string) {
    super(ErrorCode.NoCapableCollector, `no collector advertises ${capabilities}`);
    this.name = "NoCapableCollectorError";
    this.required = required;
    this.capabilities = capabilities;
  }
}

/** A bounded queue is full; the caller sees it at once. */
export class OverloadedError extends MeshError {
  readonly limit: number;
  constructor(what: string, limit: number) {
    super(ErrorCode.Overloaded, `${what} is full (${limit})`);
    this.name = "OverloadedError";
    this.limit = limit;
  }
}

/** A deadline passed. */
export class TimeoutError extends MeshError {
  constructor(message: string) {
    super(ErrorCode.Timeout, message);
    this.name = "TimeoutError";
  }
}

/** A direct subject had no subscriber: the instance is gone. */
export class NoRespondersError extends MeshError {
  readonly subject: string;
  constructor(subject: string) {
    super(ErrorCode.NoResponders, `no responders on ${subject}`);
    this.name = "NoRespondersError";
    this.subject = subject;
  }
}

/** An unknown balancing strategy name. */
export class UnknownStrategyError extends MeshError {
  readonly strategy: string;
  constructor(strategy: string, known: readonly string[]) {
    super(ErrorCode.UnknownStrategy, `unknown strategy '${strategy}' (known: ${known.join(", ")})`);
    this.name = "UnknownStrategyError";
    this.strategy = strategy;
  }
}

/** A component was stopped while work was pending. */
export class StoppedError extends MeshError {
  constructor(what: string) {
    super(ErrorCode.Stopped, `${what} stopped`);
    this.name = "StoppedError";
  }
}

/** The collector needs something this host does not have (a Linux /proc). Not retryable. */
export class UnsupportedPlatformError extends MeshError {
  readonly collector: string;
  constructor(collector: string, message: string) {
    super(ErrorCode.UnsupportedPlatform, message);
    this.name = "UnsupportedPlatformError";
    this.collector = collector;
  }
}

/** fsmond was asked for a path that does not resolve inside its roots. */
export class PathNotAllowedError extends MeshError {
  /** The path as requested. */
  readonly path: string;
  readonly roots: readonly string[];
  constructor(requested: string, roots: readonly string[]) {
    super(
      ErrorCode.PathNotAllowed,
      `path ${JSON.stringify(requested)} is outside the allowed roots (${roots.join(", ")})`,
    );
    this.name = "PathNotAllowedError";
    this.path = requested;
    this.roots = roots;
  }
}

export const errors = {
  MeshError,
  InvalidMessageError,
  InvalidArgumentError,
  InvalidSubjectTokenError,
  NoCapableCollectorError,
  OverloadedError,
  TimeoutError,
  NoRespondersError,
  UnknownStrategyError,
  StoppedError,
  UnsupportedPlatformError,
  PathNotAllowedError,
} as const;
