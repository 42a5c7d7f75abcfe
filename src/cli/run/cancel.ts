import type { RunFn } from "../action.js";
import { CliError, ExitCode } from "../errors.js";
import { withClient } from "./client.js";

export const run: RunFn = (values, _cmd, id = "") =>
  withClient(values, "cancel", {}, async ({ client, owner }) => {
    const reply = await client.cancel(id, values.reason as string | undefined);
    if (reply === undefined) {
      throw new CliError(
        `no coordinator runs ${id} of ${owner} (finished already, unknown, or another --owner's)`,
      );
    }
    process.stdout.write(
      `cancelled ${id} on ${reply.coordinatorId}: ${reply.cancelledParts} part(s) were still open\n`,
    );
    return ExitCode.Ok;
  });
