import { readFileSync } from "node:fs";
import {
  credsAuthenticator,
  errors as natsErrors,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { DEFAULT_NATS_URL, type CommonOptions } from "./common.js";
import { identityOfFile } from "./auth/manifest.js";
import { inboxPrefixFor } from "./auth/permissions.js";
import { CliError, oneLine } from "./errors.js";
import type { Logger } from "../telemetry/logger.js";
import { followLink, type LinkChange } from "../link.js";

/** How long the first connection may take before the command gives up. */
export const CONNECT_TIMEOUT_MS = 3000;

export interface ConnectOptions {
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  /** Reconnect forever once connected (coordinator, collector, watch, demo). */
  longRunning?: boolean;
  /** Called on each disconnect and reconnect, for long-running commands' logs. */
  onStatus?: (what: LinkChange, server: string) => void;
}

/**
 * Connects with a short timeout for the first connection, then (long-running commands)
 * reconnects forever. Every failure becomes one CliError sentence.
 */
export async function connectNats(
  common: Pick<CommonOptions, "natsUrl" | "creds"> &
    Partial<
      Pick<
        CommonOptions,
        "user" | "password" | "nkey" | "inboxPrefix" | "tlsCa" | "tlsCert" | "tlsKey"
      >
    >,
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
  if (common.creds && common.nkey) throw new CliError("give --creds or --nkey, not both");
  let authenticator;
  if (common.creds) authenticator = credsAuthenticator(readSecret(common.creds, "credentials"));
  if (common.nkey) authenticator = nkeyAuthenticator(readNkey(common.nkey));
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: opts.name,
      timeout: CONNECT_TIMEOUT_MS,
      authenticator,
      ...(user !== undefined ? { user, pass } : {}),
      ...connectAuthOptions(common),
      maxReconnectAttempts: opts.longRunning ? -1 : 10,
      reconnectTimeWait: 1000,
    });
  } catch (err) {
    throw new CliError(`cannot connect to NATS at ${shownUrl}: ${connectReason(err)}`, {
      cause: err,
    });
  }
  if (opts.onStatus) void followLink(nc, opts.onStatus);
  return nc;
}

/** A service's connection (coordinator, collector): reconnects forever, logging each link change. */
export function connectService(
  common: Parameters<typeof connectNats>[0],
  name: string,
  logger: Pick<Logger, "warn">,
): Promise<NatsConnection> {
  return connectNats(common, {
    name,
    longRunning: true,
    onStatus: (what, server) => logger.warn({ server }, `NATS ${what}`),
  });
}

/** The name of the identity an nkey file of this role stands for (`<role>-<name>.nk`), if any. */
export function identityName(nkey: string | undefined, role: string): string | undefined {
  const who = nkey ? identityOfFile(nkey) : undefined;
  return who?.role === role ? who.name : undefined;
}

/**
 * The inbox prefix and TLS options for these flags. The inbox prefix is `--inbox-prefix`, else
 * `_INBOX_<role>_<name>` when the nkey file is named `<role>-<name>.nk` (what `collector-mesh auth`
 * writes and allows), else nats.js's default `_INBOX`.
 */
export function connectAuthOptions(
  common: Partial<Pick<CommonOptions, "nkey" | "inboxPrefix" | "tlsCa" | "tlsCert" | "tlsKey">>,
): Pick<ConnectionOptions, "inboxPrefix" | "tls"> {
  const out: Pick<ConnectionOptions, "inboxPrefix" | "tls"> = {};
  const who = common.nkey ? identityOfFile(common.nkey) : undefined;
  const inbox = common.inboxPrefix ?? (who ? inboxPrefixFor(who.role, who.name) : undefined);
  if (inbox !== undefined) {
    if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(inbox)) {
      throw new CliError(`--inbox-prefix ${inbox} is not a subject without wildcards`);
    }
    out.inboxPrefix = inbox;
  }
  if ((common.tlsCert === undefined) !== (common.tlsKey === undefined)) {
    throw new CliError("--tls-cert and --tls-key go together");
  }
  if (common.tlsCa || common.tlsCert) {
    for (const f of [common.tlsCa, common.tlsCert, common.tlsKey]) {
      if (f !== undefined) readSecret(f, "TLS");
    }
    out.tls = {
      ...(common.tlsCa ? { caFile: common.tlsCa } : {}),
      ...(common.tlsCert ? { certFile: common.tlsCert, keyFile: common.tlsKey } : {}),
    };
  }
  return out;
}

function readSecret(file: string, what: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CliError(
      `cannot read the ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}

/** The seed in an nkey file (the first line that is a user seed, `SU…`). */
function readNkey(file: string): Uint8Array {
  return new TextEncoder().encode(nkeySeedOf(file));
}

/** The user seed (`SU…`) an nkey file holds: what `collector --sign` signs with. */
export function nkeySeedOf(file: string): string {
  const text = new TextDecoder().decode(readSecret(file, "nkey"));
  const seed = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => /^SU[A-Z2-7]{56}$/.test(l));
  if (!seed) throw new CliError(`${file} holds no nkey user seed (a line SU…)`);
  return seed;
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
