/**
 * The three-node cluster of deploy/cluster/ run for real on this machine: a copy of n1..n3.conf
 * with free ports on 127.0.0.1 and a temporary store each, one nats-server process per node.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { connect as natsConnect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { canConnect } from "../../src/server/nats-server.js";
import { copyDeploy } from "../deploy/support.js";
import { killChild, natsServerBinary, requireNatsServer, until } from "./nats-server.js";

export const NODES = ["n1", "n2", "n3"] as const;
export type Node = (typeof NODES)[number];

const CLIENT = "0.0.0.0:4222";
const ROUTES = "0.0.0.0:6222";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Replaces `from` (which must occur) with `to`. */
function swap(text: string, from: string | RegExp, to: string, what: string): string {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`${what}: ${String(from)} not found`);
  return out;
}

export interface Cluster extends AsyncDisposable {
  /** Client URL of each node. */
  readonly urls: Record<Node, string>;
  /** Every node's URL, `first` first (the one a client connects to before the others). */
  servers(first: Node): string[];
  /** SIGKILLs a node (its store stays). */
  kill(n: Node): Promise<void>;
  /** Exit reports of nodes that stopped by themselves. */
  readonly exits: string[];
  dispose(): Promise<void>;
}

export async function startCluster(): Promise<Cluster> {
  requireNatsServer();
  const copy = copyDeploy();
  const client = await Promise.all(NODES.map(() => freePort()));
  const route = await Promise.all(NODES.map(() => freePort()));
  const procs = new Map<Node, ChildProcess>();
  const exits: string[] = [];
  const killed = new Set<Node>();
  for (const [i, n] of NODES.entries()) {
    const file = join(copy.dir, "cluster", `${n}.conf`);
    let text = readFileSync(file, "utf8");
    text = swap(text, `listen: ${CLIENT}`, `listen: 127.0.0.1:${client[i]}`, n);
    text = swap(text, `listen: ${ROUTES}`, `listen: 127.0.0.1:${route[i]}`, n);
    text = swap(text, /^http_port:.*$/m, `http: "127.0.0.1:-1"`, n);
    for (const [j, m] of NODES.entries()) {
      text = swap(text, `nats-route://${m}:6222`, `nats-route://127.0.0.1:${route[j]}`, n);
    }
    writeFileSync(file, text);
    const child = spawn(natsServerBinary(), ["-c", file], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    child.once("exit", (code) => {
      if (!killed.has(n)) exits.push(`${n} exited (${code}): ${stderr.trim()}`);
    });
    procs.set(n, child);
  }
  const urls = Object.fromEntries(
    NODES.map((n, i) => [n, `nats://127.0.0.1:${client[i]}`]),
  ) as Record<Node, string>;
  const dispose = async () => {
    await Promise.allSettled([...procs.values()].map((c) => killChild(c, "SIGTERM")));
    copy.dispose();
  };
  const cluster: Cluster = {
    urls,
    exits,
    servers: (first) => [urls[first], ...NODES.filter((n) => n !== first).map((n) => urls[n])],
    kill: async (n) => {
      killed.add(n);
      const p = procs.get(n);
      if (p) await killChild(p, "SIGKILL");
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
  // Every node takes clients before anyone uses the cluster.
  for (const n of NODES) {
    await until(
      async () => {
        if (exits.length > 0) throw new Error(exits.join("; "));
        return canConnect(client[NODES.indexOf(n)] ?? 0);
      },
      15_000,
      `${n} accepting clients`,
    );
  }
  await jetStreamReady(urls.n1);
  return cluster;
}

/** The cluster has elected a JetStream meta leader: a replicated stream can be made. */
async function jetStreamReady(url: string): Promise<void> {
  const nc = await natsConnect({ servers: url, reconnect: false });
  try {
    const jsm = await until(
      async () => {
        const m = await jetstreamManager(nc);
        await m.streams.add({
          name: "cluster_ready",
          subjects: ["cluster.ready"],
          num_replicas: 3,
        });
        return m;
      },
      60_000,
      "a JetStream meta leader",
    );
    await jsm.streams.delete("cluster_ready");
  } finally {
    await nc.close();
  }
}
