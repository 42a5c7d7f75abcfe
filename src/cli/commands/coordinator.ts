import { Command, Option } from "commander";
import { StrategyName } from "../../balancer/strategies.js";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { hintValues } from "../hints.js";
import { ADVERT_TTL, ATTEMPT_TIMEOUT, GRACE, HEARTBEAT, TTL_PER_HEARTBEAT } from "../limits.js";
import { durationArg, parseId, parsePort } from "../parse.js";

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
      "how long one attempt may run before the task moves to another instance (default 5s, 100ms to 1h)",
      durationArg(ATTEMPT_TIMEOUT),
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
