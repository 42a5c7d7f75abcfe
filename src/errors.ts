import { ErrorCode } from "../subjects/codes.js";
import {
  InvalidArgumentError,
  InvalidMessageError,
  InvalidSubjectTokenError,
  MeshError,
} from "../subjects/errors.js";

export {
  ErrorCode,
  InvalidArgumentError,
  InvalidMessageError,
  InvalidSubjectTokenError,
  MeshError,
};

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

/**
 * Collectors advertise the capabilities, but none that is routable matches the submit's selector
 * or named instances (`targeting`: what it asked for, e.g. `where zone=eu`).
 */
export class NoMatchingCollectorError extends NoCapableCollectorError {
  readonly targeting: string;
  constructor(required: number, capabilities: string, targeting: string) {
    super(required, capabilities);
    this.name = "NoMatchingCollectorError";
    this.message = `no routable collector with ${capabilities} matches ${targeting}`;
    this.targeting = targeting;
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

/**
 * A result stream's reader came too late: it was further behind than its byte budget while
 * results arrived, or the finished results it had not read yet were dropped (the retained
 * results' byte budget). The results stream keeps a durable submission's results longer.
 */
export class SlowConsumerError extends MeshError {
  /** Bytes of results the reader had not read. */
  readonly unreadBytes: number;
  /** The budget it went past (streamBufferBytes). */
  readonly budgetBytes: number;
  constructor(correlationId: string, unreadBytes: number, budgetBytes: number, why: string) {
    super(
      ErrorCode.SlowConsumer,
      `stream of ${correlationId}: ${why} (${unreadBytes} bytes unread, budget ${budgetBytes})`,
    );
    this.name = "SlowConsumerError";
    this.unreadBytes = unreadBytes;
    this.budgetBytes = budgetBytes;
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
  SlowConsumerError,
} as const;
