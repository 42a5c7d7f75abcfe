import { Command } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { parsePositiveInt } from "../parse.js";

export function demoCommand(): Command {
  const cmd = new Command("demo")
    .summary("run a coordinator and four collectors, a workload, and a failover")
    .description(
      "Start an embedded nats-server (JetStream, free port, temporary store) unless --nats-url is " +
        "given, then a coordinator and procmond-1, procmond-2, netmond-1 and fsmond-1 as separate " +
        "processes. Run --tasks real tasks (process listings, socket listings, file stats) at " +
        "mixed priorities, SIGKILL procmond-1 halfway to show failover, and print a summary. " +
        "Everything it starts is stopped and removed at the end or on Ctrl-C. Exit status 1 when " +
        "a task was lost, 130 when interrupted.",
    )
    .option("--tasks <n>", "number of tasks", parsePositiveInt, 200)
    .option("--no-kill", "do not SIGKILL procmond-1 (no failover)");
  addCommonOptions(cmd, { natsUrlFromEnv: false });
  return cmd.action(lazyAction(() => import("../run/demo.js")));
}
