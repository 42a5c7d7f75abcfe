import { Command } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";

export function statusCommand(): Command {
  const cmd = new Command("status")
    .summary("list the collectors advertised in the KV bucket")
    .description(
      "List the collectors advertised in the KV bucket <prefix>_collectors: id, type, " +
        "capabilities, health (stale when the last heartbeat is older than the bucket's TTL), " +
        "tasks in flight / capacity and heartbeat age. Reads the bucket directly: no coordinator " +
        "needed.",
    )
    .option("--json", "print a JSON array");
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/status.js")));
}
