import { Command } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";

export function watchCommand(): Command {
  const cmd = new Command("watch")
    .summary("follow collector and failover events live")
    .description(
      "Subscribe to <prefix>.event.> and print collector events (joined, updated, stale, " +
        "recovered, left) and failover events as they happen, until Ctrl-C. Events are published " +
        "by coordinators: run at least one.",
    )
    .option("--json", "print each event as one JSON line");
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/watch.js")));
}
