import { InvalidArgumentError, Option, type Command } from "commander";
import { DEFAULT_PREFIX, checkPrefix } from "../../subjects/index.js";
import { CONFIG_OPTION } from "./config.js";
import { hintValues } from "./hints.js";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options every subcommand takes. */
export interface CommonOptions {
  /** Undefined only for `demo` without an explicit --nats-url. */
  natsUrl: string | undefined;
  prefix: string;
  creds: string | undefined;
  /** nkey seed file (`--nkey`/NATS_NKEY), e.g. from `collector-mesh auth`. */
  nkey: string | undefined;
  /** Inbox prefix (`--inbox-prefix`/NATS_INBOX_PREFIX); default from the nkey file's name. */
  inboxPrefix: string | undefined;
  /** TLS files (`--tls-ca`, `--tls-cert`, `--tls-key`, or NATS_TLS_CA/_CERT/_KEY). */
  tlsCa: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** User and password (`--user`/NATS_USER, `--password`/NATS_PASSWORD, or in the URL). */
  user: string | undefined;
  password: string | undefined;
  logLevel: LogLevel;
}

export function parsePrefixArg(value: string): string {
  try {
    return checkPrefix(value);
  } catch {
    throw new InvalidArgumentError("A prefix is 1-64 characters of A-Z, a-z, 0-9, '_' or '-'.");
  }
}

function parseLogLevel(value: string): LogLevel {
  const v = value.trim().toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(v))
    throw new InvalidArgumentError(`Use one of ${LOG_LEVELS.join(", ")}.`);
  return v;
}

/**
 * Adds --config, --nats-url, --prefix, --creds, --nkey, --inbox-prefix,
 * --tls-ca/--tls-cert/--tls-key, --user/--password and --log-level. `demo` passes
 * `natsUrlFromEnv: false`: it uses an external server only when --nats-url is given on its
 * command line, and reads no config file.
 */
export function addCommonOptions(cmd: Command, opts: { natsUrlFromEnv?: boolean } = {}): Command {
  if (opts.natsUrlFromEnv !== false) {
    cmd.addOption(
      hintValues(
        new Option(
          `--${CONFIG_OPTION} <file>`,
          "YAML file of option values (flags and environment override it)",
        ),
        "file",
      ),
    );
  }
  const url =
    opts.natsUrlFromEnv === false
      ? new Option(
          "--nats-url <url>",
          "use this NATS server (with JetStream) instead of starting an embedded one",
        )
      : new Option("--nats-url <url>", "NATS server URL(s), comma-separated")
          .env("NATS_URL")
          .default(DEFAULT_NATS_URL);
  return cmd
    .addOption(url)
    .addOption(
      new Option("--prefix <prefix>", "subject prefix of the mesh")
        .env("MESH_PREFIX")
        .default(DEFAULT_PREFIX)
        .argParser(parsePrefixArg),
    )
    .addOption(
      hintValues(
        new Option("--creds <file>", "NATS credentials file (.creds)").env("NATS_CREDS"),
        "file",
      ),
    )
    .addOption(hintValues(new Option("--nkey <file>", NKEY_HELP).env("NATS_NKEY"), "file"))
    .addOption(
      new Option(
        "--inbox-prefix <prefix>",
        "inbox prefix (default: _INBOX_<role>_<name> from an nkey file named <role>-<name>.nk)",
      ).env("NATS_INBOX_PREFIX"),
    )
    .addOption(hintValues(new Option("--tls-ca <file>", TLS_CA_HELP).env("NATS_TLS_CA"), "file"))
    .addOption(
      hintValues(
        new Option("--tls-cert <file>", "client certificate (PEM)").env("NATS_TLS_CERT"),
        "file",
      ),
    )
    .addOption(
      hintValues(
        new Option("--tls-key <file>", "client certificate's key (PEM)").env("NATS_TLS_KEY"),
        "file",
      ),
    )
    .addOption(
      new Option("--user <user>", "NATS user (or user:password@ in the URL)").env("NATS_USER"),
    )
    .addOption(passwordOption())
    .addOption(
      hintValues(
        new Option("--log-level <level>", `log level (${LOG_LEVELS.join(", ")})`)
          .env("LOG_LEVEL")
          .default("info")
          .argParser(parseLogLevel),
        LOG_LEVELS,
      ),
    );
}

const TLS_CA_HELP = "CA certificate(s) to verify the server (PEM)";
const NKEY_HELP = "NATS nkey seed file (from `collector-mesh auth`)";

function passwordOption(): Option {
  const help = "NATS password (prefer the environment variable)";
  return new Option("--password <password>", help).env("NATS_PASSWORD");
}

/** Reads the common options out of a parsed subcommand's option values. */
export function commonOptions(values: Record<string, unknown>): CommonOptions {
  return {
    natsUrl: typeof values.natsUrl === "string" ? values.natsUrl : undefined,
    prefix: typeof values.prefix === "string" ? values.prefix : DEFAULT_PREFIX,
    creds: str(values.creds),
    nkey: str(values.nkey),
    inboxPrefix: str(values.inboxPrefix),
    tlsCa: str(values.tlsCa),
    tlsCert: str(values.tlsCert),
    tlsKey: str(values.tlsKey),
    user: typeof values.user === "string" && values.user !== "" ? values.user : undefined,
    password: typeof values.password === "string" ? values.password : undefined,
    logLevel: (values.logLevel as LogLevel | undefined) ?? "info",
  };
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
