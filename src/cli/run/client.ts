import type { NatsConnection } from "@nats-io/nats-core";
import { MeshClient } from "../../client/mesh-client.js";
import type { MeshClientInit } from "../../client/options.js";
import { commonOptions, type CommonOptions } from "../common.js";
import { connectAuthOptions, connectNats, identityName } from "../connect.js";

/** What a submitter's command runs on. */
export interface ClientSession {
  readonly common: CommonOptions;
  /** `--owner`, else the name of the identity the nkey file holds. */
  readonly owner: string;
  readonly nc: NatsConnection;
  readonly client: MeshClient;
}

/** Who submits: the publisher or operator an nkey file names, else `cli`. */
export function submitterName(nkey: string | undefined): string {
  return identityName(nkey, "publisher") ?? identityName(nkey, "operator") ?? "cli";
}

/**
 * Connects as `collector-mesh <what>` and runs `fn` with a MeshClient for the owner, whose
 * replies come to the identity's own inbox; closes both once `fn` settles.
 */
export async function withClient(
  values: Record<string, unknown>,
  what: string,
  init: Pick<MeshClientInit, "durable" | "verify">,
  fn: (session: ClientSession) => Promise<number>,
): Promise<number> {
  const common = commonOptions(values);
  const owner = (values.owner as string | undefined) ?? submitterName(common.nkey);
  const nc = await connectNats(common, { name: `collector-mesh ${what}` });
  const inboxPrefix = connectAuthOptions(common).inboxPrefix;
  const client = new MeshClient(nc, {
    ...init,
    prefix: common.prefix,
    owner,
    ...(inboxPrefix !== undefined ? { inboxPrefix } : {}),
  });
  try {
    return await fn({ common, owner, nc, client });
  } finally {
    await client.close();
    await nc.close();
  }
}
