import { natsServerBinary, natsServerVersion } from "../../src/server/nats-server.js";

/** Says once which nats-server the suite runs against, and stops early when there is none. */
export default function setup(): void {
  const bin = natsServerBinary();
  const version = natsServerVersion(bin);
  if (version === undefined) {
    throw new Error(`nats-server not found (${bin}): install it or set NATS_SERVER_BIN`);
  }
  process.stdout.write(`tests run against nats-server ${version} (${bin})\n`);
}
