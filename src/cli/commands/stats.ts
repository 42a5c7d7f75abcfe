import { Command } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";

export function statsCommand(): Command {
  const cmd = new Command("stats")
    .summary("show a coordinator's stats: per instance load, failures, latency, re-sends")
    .description(
      "Ask a coordinator for its stats (<prefix>.api.stats) and print them: its counters " +
        "(submitted, re-sent, failovers), its queue (tasks waiting for capacity, by priority, and " +
        "their wait), and a line per collector instance: breaker state, load / capacity, tasks " +
        "assigned, failures (consecutive), ejections, latency estimate and re-sends away from it. " +
        "With several coordinators one of them answers.",
    )
    .option("--json", "print the stats reply as one JSON line");
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/stats.js")));
}
