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
  /**
   * The submissions stream takes per-message TTL (made or upgraded on 2.11+): a submission leaves
   * it at its deadline.
   */
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
 * no JetStream. An existing stream is kept as it is, with a warning when it differs, except that
 * on 2.11+ a submissions stream an older server made gets per-message TTL.
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
  const serverTtl = atLeast(nc.info?.version, "2.11.0");
  const submissions: Partial<StreamConfig> & { name: string } = {
    name: subjects.submissionsStream(),
    subjects: [`${subjects.prefix}.submit.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: replicas,
    discard: DiscardPolicy.New,
    max_msgs: opts.maxSubmissions,
    duplicate_window: nanos(opts.duplicateWindowMs),
    ...(serverTtl ? { allow_msg_ttl: true } : {}),
  };
  const results = recordsStream(subjects.resultsStream(), `${subjects.prefix}.results.>`, {
    replicas,
    maxAgeMs: opts.resultsMaxAgeMs,
    maxBytes: opts.resultsMaxBytes,
    duplicateWindowMs: opts.duplicateWindowMs,
  });
  const messageTtl = await ensureStream(jsm, submissions, logger);
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

/** How a stream of records is kept: by age and bytes, the oldest dropped first. */
export interface RecordsLimits {
  replicas: number;
  maxAgeMs: number;
  maxBytes: number;
  /** A message with the same `Nats-Msg-Id` within this window is stored once. */
  duplicateWindowMs: number;
}

/** The configuration of a results stream: file storage, kept by `limits`. */
export function recordsStream(
  name: string,
  subject: string,
  limits: RecordsLimits,
): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [subject],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: limits.replicas,
    discard: DiscardPolicy.Old,
    max_age: nanos(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    duplicate_window: nanos(limits.duplicateWindowMs),
  };
}

/**
 * Creates the stream, or binds it as it is (with a warning when its settings differ: an
 * operator's choice, kept), except that a stream made before the server had per-message TTL gets
 * it when `cfg` asks for it (an upgrade that only lets messages carry a TTL). Returns whether the
 * stream takes `Nats-TTL`.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  cfg: Partial<StreamConfig> & { name: string },
  logger: Logger,
): Promise<boolean> {
  for (let upgraded = false; ; upgraded = true) {
    try {
      return (await jsm.streams.add(cfg)).config.allow_msg_ttl === true;
    } catch (err) {
      // 10058: the stream exists with another configuration.
      if (!(err instanceof JetStreamApiError) || err.code !== 10058) throw err;
    }
    const { config } = await jsm.streams.info(cfg.name);
    const older = cfg.allow_msg_ttl === true && config.allow_msg_ttl !== true;
    if (upgraded || !older || !(await allowMessageTtl(jsm, config, logger))) {
      logger.warn(
        { stream: cfg.name, replicas: config.num_replicas },
        "stream exists with other settings; using it as it is",
      );
      return config.allow_msg_ttl === true;
    }
  }
}

/** Turns per-message TTL on in a stream an older server made; false (with a warning) when refused. */
async function allowMessageTtl(
  jsm: JetStreamManager,
  config: StreamConfig,
  logger: Logger,
): Promise<boolean> {
  try {
    await jsm.streams.update(config.name, { ...config, allow_msg_ttl: true });
    logger.info({ stream: config.name }, "stream upgraded: its messages may now carry a TTL");
    return true;
  } catch (err) {
    logger.warn(
      { stream: config.name, err: err instanceof Error ? err.message : String(err) },
      "stream not upgraded to per-message TTL; submissions stay past their deadline",
    );
    return false;
  }
}
