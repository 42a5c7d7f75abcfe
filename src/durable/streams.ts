import type { NatsConnection } from "@nats-io/nats-core";
import {
  AckPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
} from "@nats-io/jetstream";
import { PRIORITY_NAMES, type PriorityName, type Subjects } from "../../subjects/index.js";
import type { Logger } from "../telemetry/logger.js";
import { atLeast } from "../server/versions.js";
import { clusterReplicas } from "../server/cluster.js";

export { clusterReplicas };
import type { DurableOptions } from "./options.js";

/** What durable coordination runs on: the JetStream handles and what the server offers. */
export interface DurableStreams {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Replicas of every stream (and of the advert bucket): the cluster size, up to 3. */
  readonly replicas: number;
  /** Per-message TTL (2.11+): a submission leaves the stream at its deadline. */
  readonly messageTtl: boolean;
}

/** Name of the durable consumer that takes one priority level's submissions. */
export function consumerName(priority: PriorityName): string {
  return `submit-${priority}`;
}

const nanos = (ms: number) => ms * 1_000_000;

/**
 * Creates (or binds) the submissions stream (work queue, one subject per priority), its four
 * durable consumers, and the results stream (limits by age and bytes). Throws when the server has
 * no JetStream. An existing stream is kept as it is, with a warning when it differs.
 */
export async function ensureDurableStreams(
  nc: NatsConnection,
  subjects: Subjects,
  opts: DurableOptions,
  logger: Logger,
): Promise<DurableStreams> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const replicas = opts.replicas ?? clusterReplicas(nc);
  const messageTtl = atLeast(nc.info?.version, "2.11.0");
  const duplicate_window = nanos(opts.duplicateWindowMs);
  const submissions: Partial<StreamConfig> & { name: string } = {
    name: subjects.submissionsStream(),
    subjects: [`${subjects.prefix}.submit.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: replicas,
    discard: DiscardPolicy.New,
    max_msgs: opts.maxSubmissions,
    duplicate_window,
    ...(messageTtl ? { allow_msg_ttl: true } : {}),
  };
  const results: Partial<StreamConfig> & { name: string } = {
    name: subjects.resultsStream(),
    subjects: [`${subjects.prefix}.results.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    discard: DiscardPolicy.Old,
    max_age: nanos(opts.resultsMaxAgeMs),
    max_bytes: opts.resultsMaxBytes,
    duplicate_window,
  };
  await ensureStream(jsm, submissions, logger);
  await ensureStream(jsm, results, logger);
  for (const p of PRIORITY_NAMES) {
    await jsm.consumers.add(submissions.name, {
      durable_name: consumerName(p),
      filter_subject: subjects.submitFilter(p),
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(opts.takeoverMs),
      max_ack_pending: opts.maxPendingPerPriority,
      max_deliver: -1,
      num_replicas: replicas,
    });
  }
  return { js, jsm, replicas, messageTtl };
}

async function ensureStream(
  jsm: JetStreamManager,
  cfg: Partial<StreamConfig> & { name: string },
  logger: Logger,
): Promise<void> {
  try {
    await jsm.streams.add(cfg);
  } catch (err) {
    // 10058: the stream exists with another configuration: an operator's choice, kept.
    if (!(err instanceof JetStreamApiError) || err.code !== 10058) throw err;
    const info = await jsm.streams.info(cfg.name);
    logger.warn(
      { stream: cfg.name, replicas: info.config.num_replicas },
      "stream exists with other settings; using it as it is",
    );
  }
}
