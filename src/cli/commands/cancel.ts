import { Command } from "commander";
import { lazyAction } from "../action.js";
import { addCommonOptions } from "../common.js";
import { parseId } from "../parse.js";

export function cancelCommand(): Command {
  const cmd = new Command("cancel")
    .summary("cancel a running submission by its correlation id")
    .description(
      "Cancel a running submission (<prefix>.cancel.<owner>.<CORRELATION_ID>): the coordinator " +
        "running it drops its queued parts, tells the collectors running the others to stop (their " +
        "handlers see ctx.signal abort) and ends it `cancelled`. Exits 0 when a coordinator " +
        "cancelled it, 1 when none runs it (finished already, unknown, or another --owner's).",
    )
    .argument("<CORRELATION_ID>", "the submission's correlation id (submit prints it)", parseId)
    .option("--reason <text>", "why, for the verdict and the collectors' logs")
    .option(
      "--owner <name>",
      "who submitted it (default: the --nkey identity's name, else cli)",
      parseId,
    );
  addCommonOptions(cmd);
  return cmd.action(lazyAction(() => import("../run/cancel.js")));
}
