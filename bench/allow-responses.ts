/**
 * What `allow_responses` costs the server: a user allowed to publish only replies receives N
 * messages with reply subjects (as a collector receives tasks) and answers each `--replies`
 * times (default 1), under several response limits. The figure is messages per second through
 * the server to that user. On nats-server 2.9.x the server scans the user's whole table of
 * unanswered reply subjects on every delivery once it holds more than 4,096, so a limit that
 * keeps entries alive (max > replies sent, or a long expiry) costs O(outstanding) per message.
 *   npx tsx bench/allow-responses.ts [--n 50000] [--replies 1]
 *   NATS_SERVER_BIN=/path/to/nats-server npx tsx bench/allow-responses.ts
 * prints one JSON object.
 */
import { pathToFileURL } from "node:url";
import { connect } from "@nats-io/transport-node";
import { NatsServer } from "../src/server/nats-server.js";

export interface ResponsesCase {
  limits: string;
  perSec: number;
  ms: number;
}

const CASES = [
  "none",
  '{ max: 1, expires: "61m" }',
  '{ max: 100000, expires: "3660000ms" }',
  '{ max: 100000, expires: "10s" }',
];

async function runCase(limits: string, n: number, replies: number): Promise<ResponsesCase> {
  const perms = limits === "none" ? "" : `, allow_responses: ${limits}`;
  const ns = await NatsServer.start({
    jetstream: false,
    extraConfig:
      'authorization { users: [ { user: root, password: r }, { user: c, password: c, permissions: { publish: { allow: ["nothing.else"] }, subscribe: { allow: ["task"] } ' +
      `${perms} } } ] }`,
  });
  const root = await connect({ servers: ns.url, user: "root", pass: "r" });
  const col = await connect({ servers: ns.url, user: "c", pass: "c" });
  const data = new Uint8Array(100);
  try {
    let got = 0;
    const done = new Promise<void>((resolve) => {
      col.subscribe("task", {
        callback: (_e, m) => {
          if (m.reply) for (let k = 0; k < replies; k++) col.publish(m.reply, data);
          if (++got === n) resolve();
        },
      });
    });
    await col.flush();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      root.publish("task", data, { reply: `res.${i}` });
      if (i % 1000 === 0) await root.flush();
    }
    await done;
    const ms = performance.now() - t0;
    return { limits, ms: Math.round(ms), perSec: Math.round((n / ms) * 1000) };
  } finally {
    await root.close();
    await col.close();
    await ns.stop();
  }
}

export async function benchAllowResponses(n = 50_000, replies = 1): Promise<ResponsesCase[]> {
  const out: ResponsesCase[] = [];
  for (const c of CASES) out.push(await runCase(c, n, replies));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const { natsServerVersion } = await import("../src/server/nats-server.js");
  const n = arg("--n", 50_000);
  const replies = arg("--replies", 1);
  const cases = await benchAllowResponses(n, replies);
  console.log(JSON.stringify({ server: natsServerVersion(), n, replies, cases }));
}
