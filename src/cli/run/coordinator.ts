import { strategyNames } from "../../balancer/index.js";
import { Coordinator, DEFAULT_ADVERT_TTL_MS } from "../../coordinator/index.js";
import { DEFAULT_HEARTBEAT_MS } from "../../collector/index.js";
import { refreshPeriodFor } from "../../router/options.js";
import { randomId } from "../../structures/ids.js";
import { createCliLogger as createLogger } from "../logger.js";
import { commonOptions } from "../common.js";
import { connectService, identityName } from "../connect.js";
import { CliError, ExitCode } from "../errors.js";
import { durationArgText } from "../format.js";
import { waitForShutdown, withTimeout } from "../lifecycle.js";
import { TTL_PER_HEARTBEAT } from "../limits.js";
import { listenMetrics, type MetricsEndpoint } from "../metrics.js";
import { startTelemetry } from "../telemetry.js";

export const COORDINATOR_SERVICE_NAME = "collector-mesh-coordinator";

interface CoordinatorFlags {
  id?: string;
  strategy?: string;
  attemptTimeout?: number;
  advertTtl?: number;
  heartbeat?: number;
  grace: number;
  metricsPort?: number;
  metricsHost: string;
  durable?: boolean;
  verify?: boolean;
}

/** Aliases resolveStrategy also takes. */
const STRATEGY_ALIASES = ["p2c"];

/** Checks what can be checked before connecting; throws a CliError for the first problem. */
export function checkCoordinatorFlags(flags: CoordinatorFlags): void {
  if (flags.strategy !== undefined) {
    const names = strategyNames();
    const k = flags.strategy.trim().toLowerCase();
    if (!names.includes(k) && !STRATEGY_ALIASES.includes(k)) {
      throw new CliError(`--strategy ${flags.strategy}: use one of ${names.join(", ")}`);
    }
  }
  const ttl = flags.advertTtl ?? DEFAULT_ADVERT_TTL_MS;
  // The collectors refresh every half TTL unless told otherwise.
  const heartbeat =
    flags.heartbeat ??
    (flags.advertTtl !== undefined ? refreshPeriodFor(flags.advertTtl) : DEFAULT_HEARTBEAT_MS);
  if (ttl < TTL_PER_HEARTBEAT * heartbeat) {
    throw new CliError(
      `--advert-ttl ${durationArgText(ttl)} is less than ${TTL_PER_HEARTBEAT} × the collectors' ` +
        `heartbeat (--heartbeat ${durationArgText(heartbeat)}): healthy collectors would go stale ` +
        `between heartbeats; use --advert-ttl ${durationArgText(TTL_PER_HEARTBEAT * heartbeat)} or more`,
    );
  }
}

export async function run(values: Record<string, unknown>): Promise<number> {
  const flags = values as unknown as CoordinatorFlags;
  // Listen from the start: a signal during start-up stops the command once it has started.
  const shutdown = waitForShutdown();
  const common = commonOptions(values);
  checkCoordinatorFlags(flags);
  const id = flags.id ?? identityName(common.nkey, "coordinator") ?? `coord-${randomId(10)}`;
  // Before anything is logged or connected: a port in use is the first and only line.
  const endpoint: MetricsEndpoint | undefined =
    flags.metricsPort !== undefined
      ? await listenMetrics({ port: flags.metricsPort, host: flags.metricsHost })
      : undefined;
  const logger = createLogger({ name: COORDINATOR_SERVICE_NAME, level: common.logLevel });
  const stopTelemetry = await startTelemetry(COORDINATOR_SERVICE_NAME, {
    "service.instance.id": id,
  });
  try {
    const nc = await connectService(common, `collector-mesh coordinator ${id}`, logger);
    let coordinator: Coordinator;
    try {
      coordinator = new Coordinator({
        nc,
        id,
        prefix: common.prefix,
        strategy: flags.strategy,
        advertTtlMs: flags.advertTtl,
        attemptTimeoutMs: flags.attemptTimeout,
        durable: flags.durable,
        verify: flags.verify === true,
        logger,
        metrics: endpoint?.metrics,
      });
      await coordinator.start();
    } catch (err) {
      await nc.close();
      throw err;
    }
    if (endpoint) {
      endpoint.bind(coordinator);
      logger.info(
        { host: endpoint.host, port: endpoint.port },
        "serving Prometheus metrics on /metrics",
      );
    }
    const reason = await shutdown;
    logger.info({ coordinatorId: id, reason, graceMs: flags.grace }, "draining");
    await withTimeout(flags.grace + 5000, () => coordinator.stop(flags.grace));
    await withTimeout(5000, () => nc.drain());
    return ExitCode.Ok;
  } finally {
    await endpoint?.close();
    await withTimeout(5000, stopTelemetry);
  }
}
