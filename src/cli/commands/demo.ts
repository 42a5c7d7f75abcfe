import { Command } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { MAX_DEMO_TASKS } from "../limits.js";
import { countArg } from "../parse.js";

export function demoCommand(): Command {
  const cmd = new Command("demo")
    .summary("run a coordinator and four collectors, a workload, and a failover")
    .description(
      "Start an embedded nats-server (JetStream, free port, temporary store) unless --nats-url is " +
        "given (NATS_URL is not read: the demo never touches a server by accident), then a " +
        "coordinator and procmond-1, procmond-2, netmond-1 and fsmond-1 as separate processes. " +
        "Run --tasks real tasks (process listings, socket listings, file stats) at mixed " +
        "priorities, SIGKILL procmond-1 halfway to show failover, and print a summary. " +
        "Everything it starts is stopped and removed at the end, on Ctrl-C, or when its output " +
        "is closed (`| head`); --keep-logs keeps the processes' logs. Exit status 1 when a task " +
        "was lost, 130 when interrupted.",
    )
    .option(
      "--tasks <n>",
      `number of tasks, at most ${MAX_DEMO_TASKS.toLocaleString("en-US")}`,
      countArg(MAX_DEMO_TASKS),
      200,
    )
    .option("--no-kill", "do not SIGKILL procmond-1 (no failover)")
    .option(
      "--keep-logs",
      "keep the log files of the demo's processes (their directory is printed)",
    );
  addCommonOptions(cmd, { natsUrlFromEnv: false });
  return cmd.action(lazyAction(() => import("../run/demo.js")));
}
