/**
 * Child-process entry of a benchmark peer (see responders.ts):
 *   node --import tsx bench/peer.ts <natsUrl> <json PeerSpec>
 * Prints "ready" once subscribed (and advertised); SIGTERM stops it and exits 0.
 */
import { startPeerHere, type PeerSpec } from "./responders.js";

const [url, json] = process.argv.slice(2);
if (!url || !json) {
  console.error("usage: peer.ts <natsUrl> <json PeerSpec>");
  process.exit(2);
}
const stop = await startPeerHere(url, JSON.parse(json) as PeerSpec);
process.stdout.write("ready\n");
const shutdown = async (): Promise<void> => {
  await stop();
  process.exit(0);
};
process.once("SIGTERM", () => void shutdown());
process.once("SIGINT", () => void shutdown());
