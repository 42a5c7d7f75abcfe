import { readFileSync } from "node:fs";
import { credsAuthenticator, errors as natsErrors, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { DEFAULT_NATS_URL, type CommonOptions } from "./common.js";
import { CliError, oneLine } from "./errors.js";

/** How long the first connection may take before the command gives up. */
export const CONNECT_TIMEOUT_MS = 3000;

export interface ConnectOptions {
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  /** Reconnect forever once connected (coordinator, collector, watch, demo). */
  longRunning?: boolean;
  /** Called on each disconnect and reconnect, for long-running commands' logs. */
  onStatus?: (what: "disconnect" | "reconnect", server: string) => void;
}

/**
 * Connects with a short timeout for the first connection, then (long-running commands)
 * reconnects forever. Every failure becomes one CliError sentence.
 */
export async function connectNats(
  common: Pick<CommonOptions, "natsUrl" | "creds"> &
    Partial<Pick<CommonOptions, "user" | "password">>,
  opts: ConnectOptions,
): Promise<NatsConnection> {
  const url = common.natsUrl ?? DEFAULT_NATS_URL;
  // nats.js ignores user:password@ in a server URL: take it out and pass it as options.
  let user = common.user;
  let pass = common.password;
  const servers = url
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      const m = /^([a-z]+:\/\/)?([^@/]+)@(.+)$/i.exec(s);
      if (!m) return s;
      const [u, p] = (m[2] ?? "").split(":", 2);
      user ??= decodeURIComponent(u ?? "");
      pass ??= p === undefined ? undefined : decodeURIComponent(p);
      return `${m[1] ?? ""}${m[3] ?? ""}`;
    });
  const shownUrl = url.replace(/\/\/[^@/]+@/g, "//");
  let authenticator;
  if (common.creds) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(common.creds);
    } catch (err) {
      throw new CliError(
        `cannot read the credentials file ${common.creds}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    authenticator = credsAuthenticator(creds);
  }
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: opts.name,
      timeout: CONNECT_TIMEOUT_MS,
      authenticator,
      ...(user !== undefined ? { user, pass } : {}),
      maxReconnectAttempts: opts.longRunning ? -1 : 10,
      reconnectTimeWait: 1000,
    });
  } catch (err) {
    throw new CliError(`cannot connect to NATS at ${shownUrl}: ${connectReason(err)}`, {
      cause: err,
    });
  }
  if (opts.onStatus) void followStatus(nc, opts.onStatus);
  return nc;
}

async function followStatus(
  nc: NatsConnection,
  fn: (what: "disconnect" | "reconnect", server: string) => void,
): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === "disconnect" || s.type === "reconnect") fn(s.type, s.server);
  }
}

function connectReason(err: unknown): string {
  if (err instanceof natsErrors.AuthorizationError) return `authorization failed (${err.message})`;
  if (err instanceof natsErrors.TimeoutError) {
    return `no answer within ${CONNECT_TIMEOUT_MS / 1000} s (is it a NATS server?)`;
  }
  const cause: NodeJS.ErrnoException | undefined =
    err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  const code = cause?.code;
  if (code === "ECONNREFUSED") return "connection refused (is nats-server running?)";
  const own = (err as NodeJS.ErrnoException | undefined)?.code;
  if (own === "ENOTFOUND" || own === "EAI_AGAIN") return "unknown host";
  if (err instanceof Error) return oneLine(err.message);
  return oneLine(String(err));
}
