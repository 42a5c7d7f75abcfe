import type { Command } from "commander";
import { MeshClient } from "../../client/mesh-client.js";
import { commonOptions } from "../common.js";
import { connectAuthOptions, connectNats } from "../connect.js";
import { CliError, ExitCode } from "../errors.js";
import { submitterName } from "./submit.js";

export async function run(
  values: Record<string, unknown>,
  _cmd: Command,
  correlationId?: string,
): Promise<number> {
  const common = commonOptions(values);
  const id = correlationId ?? "";
  const owner = (values.owner as string | undefined) ?? submitterName(common.nkey);
  const nc = await connectNats(common, { name: "collector-mesh cancel" });
  const inboxPrefix = connectAuthOptions(common).inboxPrefix;
  const client = new MeshClient(nc, {
    prefix: common.prefix,
    owner,
    ...(inboxPrefix !== undefined ? { inboxPrefix } : {}),
  });
  try {
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
  } finally {
    await client.close();
    await nc.close();
  }
}
