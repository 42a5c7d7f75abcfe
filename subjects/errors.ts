import type { Msg } from "@nats-io/nats-core";
import { ErrorCode, RETRYABLE_CODES, ERROR_CODES } from "./codes.js";
import { MeshHeaders } from "./headers.js";

/**
 * The contract's errors: what any party raises for a message or a subject that breaks the
 * contract, and MeshError, which an error reply (headers `Mesh-Error-Code`, `Mesh-Error`) rebuilds.
 */

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
    const code = h.get(MeshHeaders.ErrorCode);
    if (!code) return undefined;
    const known = (ERROR_CODES as readonly string[]).includes(code)
      ? (code as ErrorCode)
      : ErrorCode.Internal;
    return new MeshError(known, h.get(MeshHeaders.Error) || code);
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
