/**
 * Child-process entry of a benchmark peer (see responders.ts):
 *   node --import tsx bench/peer.ts <natsUrl> <json PeerSpec>
 * Prints "ready" once subscribed (and advertised); SIGTERM stops it and exits 0. Its stdin is a
 * pipe from the harness: when that closes (the harness is gone, even by SIGKILL), it stops too.
 */
import { exitWhenTold } from "./child-exit.js";
import { startPeerHere, type PeerSpec } from "./responders.js";

const [url, json] = process.argv.slice(2);
if (!url || !json) {
  console.error("usage: peer.ts <natsUrl> <json PeerSpec>");
  process.exit(2);
}
const stop = await startPeerHere(url, JSON.parse(json) as PeerSpec);
process.stdout.write("ready\n");
// Bounded: a peer that cannot stop cleanly still exits.
exitWhenTold(stop, 5_000);
