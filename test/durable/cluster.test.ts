/**
 * The three-node cluster of deploy/cluster/, for real: streams and buckets replicated to all three;
 * the coordinator is connected to n1, collectors to n2 and n3, the submitter to n2. n1 is
 * SIGKILLed during 1,000 durable submits: the work completes, and the mesh keeps serving on the
 * other two nodes.
 */
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import { Coordinator } from "../../src/coordinator/index.js";
import { Collector } from "../../src/collector/index.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps, Subjects } from "../../subjects/index.js";
import { startCluster, type Cluster, type Node } from "../support/cluster.js";
import { until } from "../support/nats-server.js";
import { durableLoad } from "../support/durable-load.js";

const PROC = SourceCaps.PROCESS;
const TOTAL = 1000;
let cluster: Cluster | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await cluster?.dispose();
});

async function on(node: Node, name: string): Promise<NatsConnection> {
  const c = cluster as Cluster;
  const nc = await connect({
    servers: c.servers(node),
    noRandomize: true,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
  cleanups.push(() => nc.close());
  return nc;
}

describe("durable - a three-node cluster loses a node", () => {
  it("durable - the node the coordinator uses is SIGKILLed during 1,000 durable submits: 0 lost, and the mesh keeps serving", async () => {
    cluster = await startCluster();
    const p = "clustered";
    const s = new Subjects(p);
    const coordNc = await on("n1", "coordinator");
    // A cluster that has just formed may time out the first requests that create replicated
    // streams: a coordinator that fails to start is stopped and another one tried.
    const coord = await until(
      async () => {
        const c = new Coordinator({ nc: coordNc, prefix: p, advertTtlMs: 3000, durable: true });
        try {
          await c.start();
          return c;
        } catch {
          await c.stop().catch(() => undefined);
          return undefined;
        }
      },
      90_000,
      "a coordinator started on the cluster",
    );
    cleanups.push(() => coord.stop());
    for (const [node, id] of [
      ["n2", "a"],
      ["n3", "b"],
    ] as const) {
      const c = new Collector({
        id,
        type: "test",
        capabilities: PROC,
        prefix: p,
        maxConcurrency: 16,
        heartbeatMs: 250,
        ttlMs: 3000,
        handler: async (payload) => {
          await new Promise((r) => setTimeout(r, 10));
          return { echo: payload };
        },
      });
      await c.start(await on(node, `collector-${id}`));
      cleanups.push(() => c.stop());
    }
    await until(() => coord.router.get("a") && coord.router.get("b"), 10_000, "routable");
    // Replicated to all three nodes: the streams, the advert bucket.
    const jsm = await jetstreamManager(await on("n2", "inspector"));
    for (const stream of [s.submissionsStream(), s.resultsStream(), `KV_${s.bucket()}`]) {
      const info = await jsm.streams.info(stream);
      expect(info.config.num_replicas, stream).toBe(3);
    }
    const client = new MeshClient(await on("n2", "submitter"), { prefix: p, owner: "load" });
    cleanups.push(() => client.close());

    const load = durableLoad(client, {
      total: TOTAL,
      workers: 50,
      requiredCapabilities: PROC,
      idPrefix: "c-",
    });
    const { results, refused } = load;
    await until(() => load.done() >= 300, 120_000, "300 done");
    expect(coordNc.info?.server_name).toBe("n1");
    await cluster.kill("n1");
    await load.finished;
    const complete = results.filter((r) => r?.status === "complete").length;
    console.log(
      `cluster: submitted ${TOTAL}, complete ${complete}, refused at submit ${refused.length}, ` +
        `coordinator now on ${coordNc.info?.server_name}`,
    );
    expect(refused).toEqual([]);
    // On failure: which submissions did not complete, how, and what the coordinator saw.
    const incomplete = results.flatMap((r, i) =>
      r?.status === "complete" ? [] : [`${i}: ${r?.status} ${r?.error?.message ?? ""}`],
    );
    const why = JSON.stringify({ incomplete: incomplete.slice(0, 10), stats: coord.stats() });
    expect(complete, why).toBe(TOTAL);
    // The coordinator's own move to another node is no instance's fault: nobody is failed over.
    expect(coord.stats().coordinator.failovers, why).toBe(0);
    expect(coordNc.info?.server_name).not.toBe("n1");
    // And it keeps serving on n2 and n3.
    const after = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.submit({ requiredCapabilities: PROC, payload: i }, { timeoutMs: 20_000 }),
      ),
    );
    expect(after.map((r) => r.status)).toEqual(Array(20).fill("complete"));
  }, 300_000);
});
