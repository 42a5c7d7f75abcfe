import { Command, InvalidArgumentError, Option } from "commander";
import { StrategyName } from "../../balancer/strategies.js";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { hintValues } from "../hints.js";
import { durationArgText } from "../format.js";
import {
  ADVERT_TTL,
  ATTEMPT_PER_PROGRESS,
  ATTEMPT_TIMEOUT,
  COLLECTOR_PROGRESS_MS,
  GRACE,
  HEARTBEAT,
  TTL_PER_HEARTBEAT,
} from "../limits.js";
import { durationArg, parseId, parsePort } from "../parse.js";

const MIN_ATTEMPT = durationArgText(ATTEMPT_TIMEOUT.min);
const PROGRESS = durationArgText(COLLECTOR_PROGRESS_MS);

/** `--attempt-timeout`: bounded, and long enough for a running task's progress to keep it alive. */
function attemptTimeoutArg(value: string): number {
  const ms = durationArg({ min: 1, max: ATTEMPT_TIMEOUT.max })(value);
  if (ms < ATTEMPT_TIMEOUT.min) {
    throw new InvalidArgumentError(
      `Use at least ${MIN_ATTEMPT} (${ATTEMPT_PER_PROGRESS} × the collectors' progress period): a ` +
        `running task says it is alive every ${PROGRESS}, so a shorter attempt would send every ` +
        "longer task again while its collector still works on it.",
    );
  }
  return ms;
}

export function coordinatorCommand(): Command {
  const cmd = new Command("coordinator")
    .summary("run a coordinator until SIGINT/SIGTERM")
    .description(
      "Run a coordinator: it routes submitted tasks to collectors with the required capabilities, " +
        "balances them, fails over when an instance dies and aggregates the results. It serves " +
        "<prefix>.api.submit, .status and .stats (NATS micro service collector-mesh). On SIGINT or " +
        "SIGTERM it stops taking tasks, lets work in flight finish (--grace) and exits 0.",
    )
    .option(
      "--id <id>",
      "coordinator id, one subject token (default: the name of a --nkey coordinator-<name>.nk, else coord-<random>)",
      parseId,
    )
    .addOption(
      hintValues(
        new Option(
          "--strategy <name>",
          "balancing strategy: least-connections (default), round-robin, weighted-round-robin, random or p2c-ewma",
        ),
        Object.values(StrategyName),
      ),
    )
    .option(
      "--attempt-timeout <duration>",
      `how long an attempt may go without a result or progress before the task moves to another ` +
        `instance (default 5s; at least ${MIN_ATTEMPT}, ${ATTEMPT_PER_PROGRESS} × the collectors' ` +
        `progress period of ${PROGRESS}; at most 1h)`,
      attemptTimeoutArg,
    )
    .option(
      "--advert-ttl <duration>",
      `a collector whose last advert is older is overdue: probed, and stale unless it answers (default 30s; at least ${TTL_PER_HEARTBEAT} × --heartbeat, at most 1h)`,
      durationArg(ADVERT_TTL),
    )
    .option(
      "--heartbeat <duration>",
      "the collectors' advert refresh period, against which --advert-ttl is checked (default half of --advert-ttl: 15s)",
      durationArg(HEARTBEAT),
    )
    .addOption(
      new Option(
        "--grace <duration>",
        "on SIGINT/SIGTERM, how long work in flight may finish (at most 10m)",
      )
        .argParser(durationArg(GRACE))
        .default(10_000, "10s"),
    )
    .addOption(
      new Option("--metrics-port <port>", "serve Prometheus metrics on this port (0: any free one)")
        .env("METRICS_PORT")
        .argParser(parsePort),
    )
    .addOption(
      new Option("--metrics-host <address>", "address the metrics endpoint listens on")
        .env("METRICS_HOST")
        .default("127.0.0.1"),
    )
    .addOption(
      new Option(
        "--durable",
        "durable coordination (the default when the server has JetStream): fail to start without it",
      ),
    )
    .addOption(new Option("--no-durable", "in memory only: submissions live in this process alone"))
    .option(
      "--verify",
      "take only results signed by the key their collector advertises (collectors run with " +
        "--sign); route only to collectors that sign; unsigned and badly signed ones are dropped and counted",
    );
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/coordinator.js")));
}
