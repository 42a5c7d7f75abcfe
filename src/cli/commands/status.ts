import { Command } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";

export function statusCommand(): Command {
  const cmd = new Command("status")
    .summary("list the collectors, with health as a coordinator sees it")
    .description(
      "List the collectors: id, type, capabilities, health, tasks in flight / capacity and " +
        "heartbeat age. Asks a coordinator (<prefix>.api.status), which marks a collector stale " +
        "when its heartbeat is older than the advert TTL and keeps it listed, stale, until it " +
        "comes back or a minute after its last heartbeat. Without a coordinator (or with --bucket) it reads " +
        "the KV bucket <prefix>_collectors directly: there a collector that stops heartbeating " +
        "is simply gone once its advert expires.",
    )
    .option("--bucket", "read the KV bucket directly instead of asking a coordinator")
    .option("--json", "print a JSON array");
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/status.js")));
}
