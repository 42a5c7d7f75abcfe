import { Coordinator } from "../../coordinator/index.js";
import { randomId } from "../../structures/ids.js";
import { createCliLogger as createLogger } from "../logger.js";
import { commonOptions } from "../common.js";
import { connectNats, identityName } from "../connect.js";
import { ExitCode } from "../errors.js";
import { waitForShutdown, withTimeout } from "../lifecycle.js";
import { createMetrics, startMetricsEndpoint } from "../metrics.js";
import { startTelemetry } from "../telemetry.js";

export const COORDINATOR_SERVICE_NAME = "collector-mesh-coordinator";

interface CoordinatorFlags {
  id?: string;
  strategy?: string;
  attemptTimeout?: number;
  advertTtl?: number;
  grace: number;
  metricsPort?: number;
}

export async function run(values: Record<string, unknown>): Promise<number> {
  const flags = values as unknown as CoordinatorFlags;
  // Listen from the start: a signal during start-up stops the command once it has started.
  const shutdown = waitForShutdown();
  const common = commonOptions(values);
  const id = flags.id ?? identityName(common.nkey, "coordinator") ?? `coord-${randomId(10)}`;
  const logger = createLogger({ name: COORDINATOR_SERVICE_NAME, level: common.logLevel });
  const stopTelemetry = await startTelemetry(COORDINATOR_SERVICE_NAME, {
    "service.instance.id": id,
  });
  try {
    const nc = await connectNats(common, {
      name: `collector-mesh coordinator ${id}`,
      longRunning: true,
      onStatus: (what, server) => logger.warn({ server }, `NATS ${what}`),
    });
    const metrics = flags.metricsPort !== undefined ? createMetrics() : undefined;
    let coordinator: Coordinator;
    try {
      coordinator = new Coordinator({
        nc,
        id,
        prefix: common.prefix,
        strategy: flags.strategy,
        advertTtlMs: flags.advertTtl,
        attemptTimeoutMs: flags.attemptTimeout,
        logger,
        metrics,
      });
      await coordinator.start();
    } catch (err) {
      await nc.close();
      throw err;
    }
    const stopMetrics =
      flags.metricsPort !== undefined && metrics
        ? await startMetricsEndpoint({ port: flags.metricsPort, coordinator, metrics, logger })
        : undefined;
    const reason = await shutdown;
    logger.info({ coordinatorId: id, reason, graceMs: flags.grace }, "draining");
    await withTimeout(flags.grace + 5000, () => coordinator.stop(flags.grace));
    await stopMetrics?.();
    await withTimeout(5000, () => nc.drain());
    return ExitCode.Ok;
  } finally {
    await withTimeout(5000, stopTelemetry);
  }
}
