import { Command, Option } from "commander";
import { PRIORITY_NAMES, SOURCE_CAP_NAMES } from "../../../subjects/caps.js";
import { lazyAction, markRequired } from "../action.js";
import { addCommonOptions } from "../common.js";
import { hintValues } from "../hints.js";
import { MAX_EXPECTED, TASK_TIMEOUT } from "../limits.js";
import {
  collectorsArg,
  countArg,
  durationArg,
  parseCapsArg,
  parseId,
  parsePriorityArg,
  selectorArg,
} from "../parse.js";
import { OUTPUT_FORMATS } from "../results/render.js";

/** `--priority`, as submit and hunt start take it. */
export function priorityOption(): Option {
  return hintValues(
    new Option("--priority <level>", "low, normal, high or critical, or 0-3")
      .argParser(parsePriorityArg)
      .default(1, "normal"),
    PRIORITY_NAMES,
  );
}

export function submitCommand(): Command {
  const cmd = new Command("submit")
    .summary("submit a task through a running coordinator and print the result")
    .description(
      "Submit a task and print the aggregated result. When the mesh has its JetStream streams the " +
        "submission is durable: stored before it counts as accepted, run by whichever coordinator " +
        "owns it, its results stored by correlation id (read them again with `collector-mesh " +
        "results`); otherwise it goes through a coordinator's api (<prefix>.api.submit). Prints a line per result " +
        "(collector, status, attempt, time), then the processes, sockets or files of each " +
        "reference collector as a table. PAYLOAD is the task payload as JSON, e.g. " +
        '\'{"pids":[1]}\' for procmond or \'{"paths":["/var/log"]}\' for fsmond; @FILE reads ' +
        "it from a file, - from stdin. Exit status: 0 when every result is ok, 2 when the task " +
        "ran but a result is an error or missing, 1 when there is no result at all (bad " +
        "arguments, NATS or coordinator unavailable, an error reply).",
    )
    .argument("[PAYLOAD]", "task payload: JSON, @FILE or - for stdin (default: none)")
    .addOption(
      markRequired(
        hintValues(
          new Option(
            "--caps <caps>",
            "required capabilities: PROCESS, NETWORK, FILESYSTEM, PERFORMANCE, REALTIME, " +
              "KERNEL_LEVEL, SYSTEM_WIDE (any case), joined with | or , (PROCESS|REALTIME), or " +
              "their bits as a number",
          ).argParser(parseCapsArg),
          SOURCE_CAP_NAMES,
        ),
      ),
    )
    .addOption(priorityOption())
    .addOption(
      new Option("--mode <mode>", "one: one capable instance; all: every capable instance")
        .choices(["one", "all"])
        .default("one"),
    )
    .addOption(
      new Option("--timeout <duration>", "task deadline, at most 1h")
        .argParser(durationArg(TASK_TIMEOUT))
        .default(5000, "5s"),
    )
    .option(
      "--where <selector>",
      "only collectors whose labels match: host=web-1, 'zone=eu,role!=db', 'host~web-*' (= != ~ !~; ~ is a glob; every term must hold)",
      selectorArg,
    )
    .option("--collectors <ids>", "only these collectors (comma-separated ids)", collectorsArg)
    .option(
      "--prefer <selector>",
      "--mode one: collectors that match first while they have room, the others when not",
      selectorArg,
    )
    .option(
      "--expected <n>",
      `results to wait for, at most ${MAX_EXPECTED.toLocaleString("en-US")} (default: 1, or every instance with --mode all)`,
      countArg(MAX_EXPECTED),
    )
    .addOption(
      new Option(
        "--output <format>",
        "table: for people; json: the aggregated result as one JSON line; jsonl: a JSON line " +
          "per process, socket, path or error",
      )
        .choices(OUTPUT_FORMATS)
        .default("table"),
    )
    .addOption(new Option("--json", "the same as --output json").conflicts("output"))
    .addOption(
      new Option(
        "--durable",
        "store the submission in JetStream before it counts as accepted (the default when the mesh has its streams)",
      ),
    )
    .addOption(new Option("--no-durable", "submit in memory, through a coordinator's api"))
    .option(
      "--correlation-id <id>",
      "the submission's id, its idempotency key: the same id again is the same submission (default: a new one)",
      parseId,
    )
    .option(
      "--owner <name>",
      "who submits: results come on <prefix>.results.<owner>.> (default: the --nkey identity's name, else cli)",
      parseId,
    )
    .option(
      "--verify",
      "drop results not signed by their collector (the key in its advert, read by collector id); how many were dropped goes to stderr",
    );
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/submit.js")));
}
