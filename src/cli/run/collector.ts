import { hostname } from "node:os";
import type { Command } from "commander";
import { Collector, DEFAULT_HEARTBEAT_MS, DEFAULT_TTL_MS } from "../../collector/index.js";
import { refreshPeriodFor } from "../../router/options.js";
import { checkRoots, referenceCollectors, type RootProblem } from "../../collectors/index.js";
import { createCliLogger as createLogger } from "../logger.js";
import { commonOptions } from "../common.js";
import { connectService, identityName, nkeySeedOf } from "../connect.js";
import { CliError, ExitCode } from "../errors.js";
import { durationArgText } from "../format.js";
import { waitForShutdown, withTimeout } from "../lifecycle.js";
import { LABELS, MAX_ROOTS, TTL_PER_HEARTBEAT } from "../limits.js";
import { STANDARD_LABELS } from "../../collector/labels.js";
import { startTelemetry } from "../telemetry.js";

type CollectorTypeName = keyof typeof referenceCollectors;

interface CollectorFlags {
  type: CollectorTypeName;
  id?: string;
  maxConcurrency?: number;
  roots?: string[];
  label?: Record<string, string>;
  zone?: string;
  heartbeat?: number;
  advertTtl?: number;
  /** The earlier name of advertTtl. */
  ttl?: number;
  sign?: boolean;
}

/** `<type>-<hostname with anything but [A-Za-z0-9_-] as '-'>-<pid>`: one subject token. */
/**
 * A collector's default id: its type and host name, the same across restarts, so a restarted
 * collector is known as the same instance (a new incarnation). A second collector of the same
 * type on one host needs an --id of its own: the first answers on this id and refuses it.
 */
export function defaultCollectorId(type: string, host = hostname()): string {
  const h = host.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "host";
  return `${type}-${h.slice(0, 64)}`;
}

/** Heartbeat and advert TTL after defaults, checked against each other. */
export function heartbeatAndTtl(flags: { heartbeat?: number; advertTtl?: number; ttl?: number }): {
  heartbeatMs: number;
  ttlMs: number;
} {
  const given = flags.advertTtl ?? flags.ttl;
  // Refreshed every half TTL by default: a TTL given alone sets the refresh period too.
  const heartbeatMs =
    flags.heartbeat ?? (given !== undefined ? refreshPeriodFor(given) : DEFAULT_HEARTBEAT_MS);
  const ttlMs = given ?? Math.max(DEFAULT_TTL_MS, TTL_PER_HEARTBEAT * heartbeatMs);
  if (ttlMs < TTL_PER_HEARTBEAT * heartbeatMs) {
    throw new CliError(
      `--advert-ttl ${durationArgText(ttlMs)} is less than ${TTL_PER_HEARTBEAT} × --heartbeat ` +
        `${durationArgText(heartbeatMs)}: one late heartbeat would make the collector stale; ` +
        `use --advert-ttl ${durationArgText(TTL_PER_HEARTBEAT * heartbeatMs)} or more`,
    );
  }
  return { heartbeatMs, ttlMs };
}

const ROOT_PROBLEMS: Record<RootProblem, string> = {
  relative: "is relative; give it as an absolute path",
  missing: "does not exist",
  "not-a-directory": "is not a directory",
  unreadable: "cannot be listed",
};

/**
 * fsmond's --roots, checked: absolute, existing, listable directories. Roots from a config file
 * shared by every collector type are ignored by the others; on their command line they are an
 * error.
 */
async function checkedRoots(
  flags: CollectorFlags,
  source: string | undefined,
): Promise<string[] | undefined> {
  if (flags.roots === undefined) return undefined;
  if (flags.type !== "fsmond") {
    if (source === "config") return undefined;
    throw new CliError("--roots applies to --type fsmond only");
  }
  if (flags.roots.length === 0) throw new CliError("--roots needs at least one directory");
  if (flags.roots.length > MAX_ROOTS) {
    throw new CliError(`--roots takes at most ${MAX_ROOTS} directories`);
  }
  const problems = await checkRoots(flags.roots);
  const first = problems[0];
  if (first) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    const detail = first.detail ? ` (${first.detail})` : "";
    throw new CliError(`--roots ${first.root} ${ROOT_PROBLEMS[first.problem]}${detail}${more}`);
  }
  return flags.roots;
}

export async function run(values: Record<string, unknown>, cmd: Command): Promise<number> {
  const flags = values as unknown as CollectorFlags;
  // Listen from the start: a signal during start-up stops the command once it has started.
  const shutdown = waitForShutdown();
  const common = commonOptions(values);
  const ref = referenceCollectors[flags.type];
  const roots = await checkedRoots(flags, cmd.getOptionValueSource("roots"));
  const { heartbeatMs, ttlMs } = heartbeatAndTtl(flags);
  const labels = flags.label ?? {};
  if (Object.keys(labels).length > LABELS.max - STANDARD_LABELS.length) {
    throw new CliError(
      `--label: at most ${LABELS.max - STANDARD_LABELS.length} labels besides the standard ones`,
    );
  }
  // With an identity from `collector-mesh auth`, its name is the id its permissions allow.
  const id = flags.id ?? identityName(common.nkey, "collector") ?? defaultCollectorId(ref.type);
  const logger = createLogger({ name: ref.type, level: common.logLevel });
  // Signing with the identity's nkey keeps the key across restarts; a key made at start does not.
  const sign = !flags.sign
    ? undefined
    : common.nkey !== undefined
      ? { nkeySeed: nkeySeedOf(common.nkey) }
      : (true as const);
  const stopTelemetry = await startTelemetry(ref.type, { "service.instance.id": id });
  try {
    const handler = ref.createHandler({ roots, logger });
    const nc = await connectService(common, `collector-mesh ${ref.type} ${id}`, logger);
    let collector: Collector;
    try {
      collector = new Collector({
        id,
        type: ref.type,
        capabilities: ref.capabilities,
        handler,
        maxConcurrency: flags.maxConcurrency ?? ref.defaultMaxConcurrency,
        labels,
        zone: flags.zone,
        prefix: common.prefix,
        heartbeatMs,
        ttlMs,
        sign,
        logger,
      });
      await collector.start(nc);
      if (collector.signingKey !== undefined) {
        const how =
          sign === true
            ? "a key made at start (it changes when the collector restarts)"
            : "the --nkey identity's key";
        logger.info({ signingKey: collector.signingKey }, `signing results with ${how}`);
      }
    } catch (err) {
      await nc.close();
      throw err;
    }
    if (roots) logger.info({ roots }, "fsmond roots");
    const reason = await shutdown;
    logger.info({ reason }, "draining");
    await withTimeout(collector.opts.drainGraceMs + 5000, () => collector.stop());
    await withTimeout(5000, () => nc.drain());
    return ExitCode.Ok;
  } finally {
    await withTimeout(5000, stopTelemetry);
  }
}
