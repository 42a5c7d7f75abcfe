import { Command, Option } from "commander";
import { COLLECTOR_TYPES } from "../../collectors/types.js";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { collectLabel, collectList, parseDuration, parseId, parsePositiveInt } from "../parse.js";

export function collectorCommand(): Command {
  const cmd = new Command("collector")
    .summary("run a reference collector until SIGINT/SIGTERM")
    .description(
      "Run one of the reference collectors: procmond (processes from /proc), netmond (sockets from " +
        "/proc/net) or fsmond (stat and SHA-256 of files below --roots). It advertises itself in " +
        "the KV bucket <prefix>_collectors, heartbeats, and takes tasks on " +
        "<prefix>.collector.<id>.task. On SIGINT or SIGTERM it finishes the tasks it has, " +
        "withdraws its advert and exits 0.",
    )
    .addOption(
      new Option("--type <type>", "which reference collector to run")
        .choices(COLLECTOR_TYPES)
        .makeOptionMandatory(),
    )
    .option(
      "--id <id>",
      "instance id, one subject token (default: the name of a --nkey collector-<name>.nk, else <type>-<hostname>-<pid>)",
      parseId,
    )
    .option(
      "--max-concurrency <n>",
      "tasks run at once (default: the collector's own, e.g. 4)",
      parsePositiveInt,
    )
    .option(
      "--roots <paths>",
      "fsmond: comma-separated directories it may read below (default: the temp dir and /var/log)",
      collectList,
    )
    .option("--label <key=value>", "label in the advert (repeatable)", collectLabel)
    .option("--heartbeat <duration>", "heartbeat interval (default 1s)", parseDuration)
    .option(
      "--ttl <duration>",
      "advert time-to-live; must exceed --heartbeat (default 3s, or 3 × --heartbeat if longer)",
      parseDuration,
    );
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/collector.js")));
}
