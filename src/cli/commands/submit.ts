import { Command, Option } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { parseCapsArg, parseDuration, parsePositiveInt, parsePriorityArg } from "../parse.js";

export function submitCommand(): Command {
  const cmd = new Command("submit")
    .summary("submit a task through a running coordinator and print the result")
    .description(
      "Submit a task on <prefix>.api.submit and print the aggregated result. PAYLOAD_JSON is the " +
        'task payload, e.g. \'{"pids":[1]}\' for procmond or \'{"paths":["/var/log"]}\' for ' +
        "fsmond. Exit status: 0 when every result is ok, 2 when the task ran but a result is an " +
        "error or missing, 1 when there is no result at all (bad arguments, NATS or coordinator " +
        "unavailable, an error reply).",
    )
    .argument("[PAYLOAD_JSON]", "task payload as JSON (default: none)")
    .addOption(
      new Option("--caps <caps>", "required capabilities, e.g. PROCESS or NETWORK|REALTIME")
        .argParser(parseCapsArg)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option("--priority <level>", "low, normal, high or critical")
        .argParser(parsePriorityArg)
        .default(1, "normal"),
    )
    .addOption(
      new Option("--mode <mode>", "one: one capable instance; all: every capable instance")
        .choices(["one", "all"])
        .default("one"),
    )
    .addOption(
      new Option("--timeout <duration>", "task deadline")
        .argParser(parseDuration)
        .default(5000, "5s"),
    )
    .option(
      "--expected <n>",
      "results to wait for (default: 1, or every instance with --mode all)",
      parsePositiveInt,
    )
    .option("--json", "print the aggregated result as one JSON line");
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/submit.js")));
}
