import type { NatsConnection } from "@nats-io/nats-core";

/**
 * Replicas that follow the cluster: 1 on a single server, the number of servers the connection
 * knows of (its `connect_urls`) up to 3 in a cluster. Streams and buckets made with it survive the
 * loss of any one node of a three-node cluster.
 */
export function clusterReplicas(nc: NatsConnection): number {
  const info = nc.info;
  if (info?.cluster === undefined) return 1;
  const servers = new Set(info.connect_urls ?? []);
  return Math.max(1, Math.min(3, servers.size));
}
