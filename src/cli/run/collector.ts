import { hostname } from "node:os";
import path from "node:path";
import { Collector, DEFAULT_HEARTBEAT_MS, DEFAULT_TTL_MS } from "../../collector/index.js";
import { referenceCollectors } from "../../collectors/index.js";
import { createCliLogger as createLogger } from "../logger.js";
import { commonOptions } from "../common.js";
import { connectNats, identityName } from "../connect.js";
import { CliError, ExitCode } from "../errors.js";
import { waitForShutdown, withTimeout } from "../lifecycle.js";
import { startTelemetry } from "../telemetry.js";

type CollectorTypeName = keyof typeof referenceCollectors;

interface CollectorFlags {
  type: CollectorTypeName;
  id?: string;
  maxConcurrency?: number;
  roots?: string[];
  label?: Record<string, string>;
  heartbeat?: number;
  ttl?: number;
}

/** `<type>-<hostname with anything but [A-Za-z0-9_-] as '-'>-<pid>`: one subject token. */
export function defaultCollectorId(type: string, host = hostname(), pid = process.pid): string {
  const h = host.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "host";
  return `${type}-${h.slice(0, 64)}-${pid}`;
}

export async function run(values: Record<string, unknown>): Promise<number> {
  const flags = values as unknown as CollectorFlags;
  // Listen from the start: a signal during start-up stops the command once it has started.
  const shutdown = waitForShutdown();
  const common = commonOptions(values);
  const ref = referenceCollectors[flags.type];
  if (flags.roots !== undefined && flags.type !== "fsmond") {
    throw new CliError("--roots applies to --type fsmond only");
  }
  if (flags.roots?.length === 0) throw new CliError("--roots needs at least one directory");
  const heartbeatMs = flags.heartbeat ?? DEFAULT_HEARTBEAT_MS;
  const ttlMs = flags.ttl ?? Math.max(DEFAULT_TTL_MS, 3 * heartbeatMs);
  if (ttlMs <= heartbeatMs) throw new CliError("--ttl must be longer than --heartbeat");
  const roots = flags.roots?.map((r) => path.resolve(r));
  // With an identity from `collector-mesh auth`, its name is the id its permissions allow.
  const id = flags.id ?? identityName(common.nkey, "collector") ?? defaultCollectorId(ref.type);
  const logger = createLogger({ name: ref.type, level: common.logLevel });
  const stopTelemetry = await startTelemetry(ref.type, { "service.instance.id": id });
  try {
    const handler = ref.createHandler({ roots, logger });
    const nc = await connectNats(common, {
      name: `collector-mesh ${ref.type} ${id}`,
      longRunning: true,
      onStatus: (what, server) => logger.warn({ server }, `NATS ${what}`),
    });
    let collector: Collector;
    try {
      collector = new Collector({
        id,
        type: ref.type,
        capabilities: ref.capabilities,
        handler,
        maxConcurrency: flags.maxConcurrency ?? ref.defaultMaxConcurrency,
        labels: { host: hostname().slice(0, 256), ...flags.label },
        prefix: common.prefix,
        heartbeatMs,
        ttlMs,
        logger,
      });
      await collector.start(nc);
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
