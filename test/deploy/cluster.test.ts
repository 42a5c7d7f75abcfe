/**
 * deploy/cluster/n1..n3.conf run for real: the three configs, with their hosts mapped to
 * 127.0.0.1 and free ports, form one cluster whose JetStream replicates a bucket to all three.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { until } from "../support/nats-server.js";
import { NODES, startCluster, type Cluster } from "../support/cluster.js";

let cluster: Cluster | undefined;
const conns: NatsConnection[] = [];

afterAll(async () => {
  await Promise.allSettled(conns.map((nc) => nc.close()));
  await cluster?.dispose();
});

describe("deploy - the three-node cluster", () => {
  it("deploy - n1, n2 and n3 form a JetStream cluster that replicates a bucket to all three", async () => {
    cluster = await startCluster();
    const nc1 = await connect({ servers: cluster.urls.n1, reconnect: false });
    conns.push(nc1);
    const kv = await until(
      () => new Kvm(nc1).create("cluster_check", { replicas: 3, history: 1 }),
      30_000,
      "a replicated bucket",
    );
    const status = await kv.status();
    const info = status.streamInfo.cluster;
    expect(info?.name).toBe("collector-mesh");
    const servers = [info?.leader, ...(info?.replicas ?? []).map((r) => r.name)].sort();
    expect(servers).toEqual([...NODES]);

    await kv.put("advert", "from n1");
    const nc3 = await connect({ servers: cluster.urls.n3, reconnect: false });
    conns.push(nc3);
    expect(nc3.info?.server_name).toBe("n3");
    const kv3 = await new Kvm(nc3).open("cluster_check");
    const e = await until(() => kv3.get("advert"), 10_000, "the entry on n3");
    expect(e.string()).toBe("from n1");
  }, 90_000);
});
