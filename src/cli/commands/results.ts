import { Command, Option } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { parseId } from "../parse.js";
import { OUTPUT_FORMATS } from "../results/render.js";

export function resultsCommand(): Command {
  const cmd = new Command("results")
    .summary("read the stored results of a durable submission by its correlation id")
    .description(
      "Read what the results stream holds for a durable submission (<prefix>.results.<owner>." +
        "<CORRELATION_ID>): its results and its verdict, as `submit` prints them. Results stay " +
        "readable for the stream's retention (one hour by default). A submission still running " +
        "shows what has arrived so far.",
    )
    .argument("<CORRELATION_ID>", "the submission's correlation id (submit prints it)", parseId)
    .option(
      "--owner <name>",
      "who submitted it (default: the --nkey identity's name, else cli)",
      parseId,
    )
    .addOption(
      new Option("--output <format>", "table, json or jsonl, as for submit")
        .choices(OUTPUT_FORMATS)
        .default("table"),
    )
    .addOption(new Option("--json", "the same as --output json").conflicts("output"))
    .option(
      "--verify",
      "drop results not signed by their collector (the key in its advert, read by collector id); how many were dropped goes to stderr",
    );
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/results.js")));
}
