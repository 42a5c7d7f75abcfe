import { Command, Option } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { parseDuration, parseId, parsePort } from "../parse.js";

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
    .option(
      "--strategy <name>",
      "balancing strategy: least-connections (default), round-robin, weighted-round-robin, random or p2c-ewma",
    )
    .option(
      "--attempt-timeout <duration>",
      "how long one attempt may run before the task moves to another instance (default 5s)",
      parseDuration,
    )
    .option(
      "--advert-ttl <duration>",
      "a collector whose last heartbeat is older is stale (default 3s)",
      parseDuration,
    )
    .addOption(
      new Option("--grace <duration>", "on SIGINT/SIGTERM, how long work in flight may finish")
        .argParser(parseDuration)
        .default(10_000, "10s"),
    )
    .addOption(
      new Option("--metrics-port <port>", "serve Prometheus metrics on this port")
        .env("METRICS_PORT")
        .argParser(parsePort),
    );
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/coordinator.js")));
}
