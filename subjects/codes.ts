/**
 * Stable error codes. They travel on the wire (header `Mesh-Error-Code` and the ErrorReply body)
 * and never change meaning once published.
 */
export const ErrorCode = {
  InvalidMessage: "INVALID_MESSAGE",
  InvalidArgument: "INVALID_ARGUMENT",
  InvalidSubjectToken: "INVALID_SUBJECT_TOKEN",
  NoCapableCollector: "NO_CAPABLE_COLLECTOR",
  Overloaded: "OVERLOADED",
  Timeout: "TIMEOUT",
  NoResponders: "NO_RESPONDERS",
  HandlerError: "HANDLER_ERROR",
  UnsupportedPlatform: "UNSUPPORTED_PLATFORM",
  PathNotAllowed: "PATH_NOT_ALLOWED",
  UnknownStrategy: "UNKNOWN_STRATEGY",
  Stopped: "STOPPED",
  /** The instance a fan-out part belongs to left or died while the part was running. */
  CollectorLost: "COLLECTOR_LOST",
  /** The mesh could not take or answer it now (server unreachable, coordinator lost). */
  Unavailable: "UNAVAILABLE",
  /** The submission was cancelled, or this attempt was abandoned for another. */
  Cancelled: "CANCELLED",
  /**
   * A reader of a result stream fell further behind than its byte budget, or read a finished
   * submission whose results were dropped before it got to them.
   */
  SlowConsumer: "SLOW_CONSUMER",
  Internal: "INTERNAL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const ERROR_CODES = Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]];

/** Codes after which the same request may succeed when sent again. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.Overloaded,
  ErrorCode.Timeout,
  ErrorCode.NoResponders,
  ErrorCode.Unavailable,
]);
