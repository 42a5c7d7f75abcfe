import { headers as natsHeaders, type MsgHdrs } from "@nats-io/nats-core";
import type { ServiceMsg } from "@nats-io/services";
import { AggregatedResult, MeshHeaders, Result } from "../../subjects/index.js";
import { encode } from "../codec.js";
import { signedBytesOf } from "../signing.js";
import type { SubmissionHandle } from "../client/types.js";

/** A streamed api reply says it is still running this often (the client stalls out at 3 s). */
export const KEEPALIVE_MS = 1000;

function header(name: string, value: string): MsgHdrs {
  const h = natsHeaders();
  h.set(name, value);
  return h;
}

/**
 * Answers a submit asked with `stream: true`: each Result as it is accepted (header
 * `Mesh-Record: result`), a keepalive every second while it runs, the AggregatedResult without
 * its results (`Mesh-Record: verdict`), then an empty message that ends the reply. Results larger
 * than one message together still arrive whole; a caller whose keepalives stop knows the
 * coordinator is gone.
 */
export async function streamReply(
  msg: ServiceMsg,
  handle: Omit<SubmissionHandle, "correlationId">,
): Promise<void> {
  const keepalive = setInterval(
    () => msg.respond(new Uint8Array(0), { headers: header(MeshHeaders.Keepalive, "1") }),
    KEEPALIVE_MS,
  );
  keepalive.unref();
  try {
    const resultHeader = header(MeshHeaders.Record, "result");
    for await (const r of handle.results) {
      // A signed result goes out as its collector's own bytes, with their signature.
      const signed = signedBytesOf(r);
      if (signed === undefined) msg.respond(encode(Result, r), { headers: resultHeader });
      else {
        const h = header(MeshHeaders.Record, "result");
        h.set(MeshHeaders.Signature, signed.signature);
        msg.respond(signed.data, { headers: h });
      }
    }
    const verdict = await handle.done;
    msg.respond(encode(AggregatedResult, { ...verdict, results: [] }), {
      headers: header(MeshHeaders.Record, "verdict"),
    });
    msg.respond(new Uint8Array(0));
  } finally {
    clearInterval(keepalive);
  }
}
