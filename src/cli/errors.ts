import { errors as natsErrors } from "@nats-io/nats-core";
import { MeshError } from "../errors.js";

/** Exit codes of the collector-mesh command. */
export const ExitCode = {
  Ok: 0,
  /** A failure: bad arguments, NATS unreachable, an error reply, a lost demo task. */
  Error: 1,
  /** `submit`: the task ran but its aggregated result is not a complete success. */
  TaskFailed: 2,
  /** Interrupted by SIGINT/SIGTERM before the end (`demo`). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error whose message is already the one sentence a user should read. Everything the command
 * throws on purpose is a CliError; anything else goes through describeError.
 */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "CliError";
    this.exitCode = opts.exitCode ?? ExitCode.Error;
  }
}

/** Collapses whitespace so that a message prints as one line. */
export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** The one line to print for any error: never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof CliError) return oneLine(err.message);
  if (err instanceof MeshError) return oneLine(`${err.code}: ${err.message}`);
  if (err instanceof natsErrors.AuthorizationError) {
    return oneLine(`NATS refused the credentials: ${err.message}`);
  }
  if (err instanceof natsErrors.PermissionViolationError) {
    return oneLine(`NATS permissions do not allow this: ${err.message}`);
  }
  if (err instanceof natsErrors.TimeoutError) return "the request to NATS timed out";
  if (err instanceof Error) return oneLine(err.message || err.name);
  return oneLine(String(err));
}

/** True for a request that found no subscriber (NATS 503 status). */
export function isNoResponders(err: unknown): boolean {
  if (err instanceof natsErrors.NoRespondersError) return true;
  if (err instanceof natsErrors.RequestError) return err.isNoResponders();
  return false;
}

/** True for a publish or subscription the server's permissions refused. */
export function isPermissionViolation(err: unknown): boolean {
  if (err instanceof natsErrors.PermissionViolationError) return true;
  return err instanceof Error && err.cause instanceof natsErrors.PermissionViolationError;
}

/** True for a request that got no reply in time. */
export function isRequestTimeout(err: unknown): boolean {
  if (err instanceof natsErrors.TimeoutError) return true;
  return err instanceof natsErrors.RequestError && err.cause instanceof natsErrors.TimeoutError;
}
