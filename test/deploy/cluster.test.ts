/**
 * deploy/cluster/n1..n3.conf run for real: the three configs, with their hosts mapped to
 * 127.0.0.1 and free ports, form one cluster whose JetStream replicates a bucket to all three.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { killChild, natsServerBinary, requireNatsServer, until } from "../support/nats-server.js";
import { copyDeploy } from "./support.js";

const NODES = ["n1", "n2", "n3"] as const;
const CLIENT = "0.0.0.0:4222";
const ROUTES = "0.0.0.0:6222";

const children: ChildProcess[] = [];
const exits: string[] = [];
const conns: NatsConnection[] = [];
const copy = copyDeploy();

afterAll(async () => {
  await Promise.allSettled(conns.map((nc) => nc.close()));
  await Promise.allSettled(children.map((c) => killChild(c, "SIGTERM")));
  copy.dispose();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === "object" && addr
          ? resolve(addr.port)
          : reject(new Error("no port was assigned")),
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

describe("deploy - the three-node cluster", () => {
  it("deploy - n1, n2 and n3 form a JetStream cluster that replicates a bucket to all three", async () => {
    requireNatsServer();
    const client = await Promise.all(NODES.map(() => freePort()));
    const route = await Promise.all(NODES.map(() => freePort()));
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
      const child = spawn(natsServerBinary(), ["-c", file], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
      child.once("exit", (code) => exits.push(`${n} exited (${code}): ${stderr.trim()}`));
      children.push(child);
    }
    const running = () => {
      if (exits.length > 0) throw new Error(exits.join("; "));
    };

    const nc1 = await until(
      () => (running(), connect({ servers: `127.0.0.1:${client[0]}`, reconnect: false })),
      10_000,
      "n1 accepting clients",
    );
    conns.push(nc1);
    // The bucket is created once the cluster has elected a JetStream meta leader.
    const kv = await until(
      () => (running(), new Kvm(nc1).create("cluster_check", { replicas: 3, history: 1 })),
      30_000,
      "a replicated bucket",
    );
    const status = await kv.status();
    const cluster = status.streamInfo.cluster;
    expect(cluster?.name).toBe("collector-mesh");
    const servers = [cluster?.leader, ...(cluster?.replicas ?? []).map((r) => r.name)].sort();
    expect(servers).toEqual([...NODES]);

    await kv.put("advert", "from n1");
    const nc3 = await connect({ servers: `127.0.0.1:${client[2]}`, reconnect: false });
    conns.push(nc3);
    expect(nc3.info?.server_name).toBe("n3");
    const kv3 = await new Kvm(nc3).open("cluster_check");
    const e = await until(() => kv3.get("advert"), 10_000, "the entry on n3");
    expect(e.string()).toBe("from n1");
  }, 60_000);
});
