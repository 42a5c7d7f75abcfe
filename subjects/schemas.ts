import { z } from "zod";
import { ALL_CAPS, DOMAINS, HEALTH_VALUES } from "./caps.js";
import { ERROR_CODES } from "./codes.js";
import { SelectorSchema } from "./selector.js";

/**
 * zod schemas of every message on the wire. Every string and array is bounded so that hostile
 * input stays small; the codec also bounds a whole message before it is parsed.
 */

/** Largest encoded message the codec accepts (bytes). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/**
 * Deepest nesting of arrays and maps the codec accepts; the message itself is depth 1. Checked
 * by a linear scan of the bytes before anything is decoded. The same as the encoder's own limit
 * (@msgpack/msgpack maxDepth 100) and the Rust collector's decoder: nothing deeper can be sent on.
 */
export const MAX_NESTING_DEPTH = 100;
/**
 * Most values (every array item, map key and map value, at any depth) the codec accepts in one
 * message, checked by the same scan. A 1 MB result of process or file records holds far fewer.
 */
export const MAX_MESSAGE_ELEMENTS = 262_144;
/** Largest encoded advert (bytes): 32 labels of 64 + 256 characters fit with room to spare. */
export const MAX_ADVERT_BYTES = 16 * 1024;
/** Most items in one array, or entries in one map, the decoder accepts. */
export const MAX_CONTAINER_LENGTH = 100_000;
export const MAX_ID_LENGTH = 256;
export const MAX_LABELS = 32;
export const MAX_RESULTS_PER_REPLY = 100_000;
/** Longest deadline a submission may ask for (SubmitRequest timeoutMs). */
export const MAX_TASK_TIMEOUT_MS = 3_600_000;

const tokenRe = /^[^\s.*>]+$/;

/** What an advert's `signingKey` starts with: the only algorithm there is. */
export const SIGNING_KEY_PREFIX = "ed25519:";
/** An ed25519 public key (32 bytes) in base64url without padding. */
export const SIGNING_KEY_RE = /^ed25519:[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** An id that is also a subject token. */
export const Id = z.string().min(1).max(MAX_ID_LENGTH).regex(tokenRe, "must be one subject token");
export const Caps = z.number().int().min(0).max(ALL_CAPS);
export const DomainSchema = z.enum(DOMAINS);
export const PrioritySchema = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]);
export const HealthSchema = z.enum(HEALTH_VALUES);
export const ErrorCodeSchema = z.enum(ERROR_CODES);
/** Milliseconds since the epoch. */
export const Millis = z.number().int().min(0);
const Labels = z
  .record(z.string().min(1).max(64), z.string().max(256))
  .refine((r) => Object.keys(r).length <= MAX_LABELS, `at most ${MAX_LABELS} labels`)
  // The refine has no JSON Schema form: say the same for asyncapi.yaml.
  .meta({ maxProperties: MAX_LABELS });

/** A collector's advert in the KV bucket (key = id), refreshed on every heartbeat. */
export const CollectorAdvert = z.object({
  id: Id,
  type: z.string().min(1).max(64),
  capabilities: Caps,
  version: z.string().max(64),
  health: HealthSchema,
  maxConcurrency: z.number().int().min(1).max(100_000),
  inFlight: z.number().int().min(0).max(10_000_000),
  /** Relative weight for weighted balancing. */
  weight: z.number().int().min(1).max(1000).default(1),
  labels: Labels,
  startedAt: Millis,
  heartbeatSeq: z.number().int().min(0),
  heartbeatAt: Millis,
  /**
   * The public key this collector signs its results with: `ed25519:` and the 32-byte key in
   * base64url without padding. Each Result it sends then carries the ed25519 signature of its
   * bytes in the `Mesh-Signature` header. Absent: it does not sign.
   */
  signingKey: z
    .string()
    .regex(SIGNING_KEY_RE, "must be ed25519: and a 32-byte key in base64url")
    .optional(),
});
export type CollectorAdvert = z.infer<typeof CollectorAdvert>;

/** A unit of work. `payload` is any msgpack value, interpreted by the collector. */
export const Task = z.object({
  taskId: Id,
  correlationId: Id,
  requiredCapabilities: Caps,
  domain: DomainSchema,
  priority: PrioritySchema,
  payload: z.unknown().optional(),
  createdAt: Millis,
  /** Absolute deadline (ms since the epoch); collectors drop tasks past it. */
  deadline: Millis,
  attempt: z.number().int().min(0).max(1000),
});
export type Task = z.infer<typeof Task>;

export const ErrorBody = z.object({
  code: ErrorCodeSchema,
  message: z.string().max(1024),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** One result of a task; several per task when streamed (seq 0..n, `final` on the last). */
export const Result = z.object({
  taskId: Id,
  correlationId: Id,
  collectorId: Id,
  seq: z.number().int().min(0),
  final: z.boolean(),
  status: z.enum(["ok", "error"]),
  payload: z.unknown().optional(),
  error: ErrorBody.optional(),
  producedAt: Millis,
  processingMs: z.number().min(0),
  attempt: z.number().int().min(0).max(1000).optional(),
});
export type Result = z.infer<typeof Result>;

/** The one error reply shape; its code and message also travel in headers. */
export const ErrorReply = z.object({
  error: ErrorBody,
});
export type ErrorReply = z.infer<typeof ErrorReply>;

export const SubmitMode = z.enum(["one", "all"]);
export type SubmitMode = z.infer<typeof SubmitMode>;

/** Longest correlation id of a durable submission: its task ids are `<correlationId>-<part>`. */
export const MAX_DURABLE_ID_LENGTH = 200;
/** Longest task timeout (one day). */
export const MAX_TIMEOUT_MS = 86_400_000;
/** Most parts one submission fans out to. */
export const MAX_PARTS = 100_000;

/** Most collector ids a submit may name explicitly. */
export const MAX_NAMED_COLLECTORS = 10_000;

/** Who a submit targets: a label selector, named instances, a soft preference. */
const Targeting = {
  /** Only instances whose labels match (`zone=eu,role!=db`, `host~web-*`; see selector.ts). */
  where: SelectorSchema.optional(),
  /** Only these instances. */
  collectors: z.array(Id).min(1).max(MAX_NAMED_COLLECTORS).optional(),
  /** Matching instances first while they have room, the others when not (a `one` submit). */
  prefer: SelectorSchema.optional(),
};

/** `<p>.api.submit` request. */
export const SubmitRequest = z.object({
  requiredCapabilities: Caps,
  priority: PrioritySchema.default(1),
  payload: z.unknown().optional(),
  mode: SubmitMode.default("one"),
  expected: z.number().int().min(1).max(10_000).optional(),
  timeoutMs: z.number().int().min(1).max(MAX_TASK_TIMEOUT_MS).default(5000),
  correlationId: Id.optional(),
  /**
   * Reply with several messages instead of one: each Result as it is accepted, keepalives (an
   * empty body with header `Mesh-Keepalive`) while the submission runs, then the AggregatedResult
   * without its results, then an empty message that ends the reply.
   */
  stream: z.boolean().optional(),
  /** Durable (JetStream) or in memory; the coordinator's default when absent. */
  durable: z.boolean().optional(),
  ...Targeting,
});
export type SubmitRequest = z.infer<typeof SubmitRequest>;

const DurableId = Id.max(MAX_DURABLE_ID_LENGTH);

/**
 * A submission as the submissions stream keeps it (`<p>.submit.<priority>.<owner>`, message id =
 * correlation id): accepted means stored. One coordinator at a time owns it.
 */
export const DurableSubmission = z.object({
  correlationId: DurableId,
  /** Who submitted it: the token its results subject carries. */
  owner: Id,
  requiredCapabilities: Caps,
  priority: PrioritySchema,
  payload: z.unknown().optional(),
  mode: z.enum(["one", "all"]),
  expected: z.number().int().min(1).max(MAX_PARTS).optional(),
  timeoutMs: z.number().int().min(1).max(MAX_TIMEOUT_MS),
  submittedAt: Millis,
  /** Absolute deadline: the verdict is due by then. */
  deadline: Millis,
  ...Targeting,
});
export type DurableSubmission = z.infer<typeof DurableSubmission>;

/**
 * The first record of a durable fan-out on its results subject (header `Mesh-Record: plan`): which
 * instance each part belongs to, so a coordinator that takes the submission over sends only the
 * parts without a final result, to the same instances.
 */
export const SubmissionPlan = z.object({
  correlationId: DurableId,
  coordinatorId: Id,
  expected: z.number().int().min(0).max(MAX_PARTS),
  parts: z.array(z.object({ taskId: Id, collectorId: Id })).max(MAX_PARTS),
  at: Millis,
});
export type SubmissionPlan = z.infer<typeof SubmissionPlan>;

/** How each targeted instance did in a fan-out. */
export const InstanceState = z.enum([
  "ok",
  "error",
  "timed_out",
  "lost",
  "not_reached",
  "cancelled",
]);
export type InstanceState = z.infer<typeof InstanceState>;

export const InstanceOutcome = z.object({
  collectorId: Id,
  state: InstanceState,
  /** For `error` (and `lost`): the error code of its final result. */
  code: ErrorCodeSchema.optional(),
});
export type InstanceOutcome = z.infer<typeof InstanceOutcome>;

export const AggregationStatus = z.enum([
  "complete",
  "partial",
  "timed_out",
  "failed",
  "cancelled",
]);
export type AggregationStatus = z.infer<typeof AggregationStatus>;

/** `<p>.api.submit` reply, and what Coordinator.submit resolves to. */
export const AggregatedResult = z.object({
  correlationId: Id,
  status: AggregationStatus,
  results: z.array(Result).max(MAX_RESULTS_PER_REPLY),
  expected: z.number().int().min(0),
  received: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  startedAt: Millis,
  completedAt: Millis,
  error: ErrorBody.optional(),
  /** A fan-out: every targeted instance and how it did (answered, error, timed out, lost, ...). */
  instances: z.array(InstanceOutcome).max(MAX_PARTS).optional(),
});
export type AggregatedResult = z.infer<typeof AggregatedResult>;

/**
 * `<p>.collector.<id>.cancel`: stop running (or drop queued) `taskId` on this instance. Sent when
 * a coordinator abandons an attempt (it timed out and was sent elsewhere) or its submission was
 * cancelled; the handler sees `ctx.signal` abort. Without `attempt`, any attempt of the task.
 */
export const CancelTask = z.object({
  taskId: Id,
  attempt: z.number().int().min(0).max(1000).optional(),
  reason: z.string().max(1024),
});
export type CancelTask = z.infer<typeof CancelTask>;

/**
 * `<p>.cancel.<owner>.<correlationId>` request: cancel a running submission. Every coordinator
 * hears it; the one running the submission ends it (`cancelled`) and answers with a CancelReply.
 */
export const CancelRequest = z.object({
  reason: z.string().max(1024).optional(),
});
export type CancelRequest = z.infer<typeof CancelRequest>;

export const CancelReply = z.object({
  correlationId: Id,
  coordinatorId: Id,
  /** Parts that were still queued or running when it was cancelled. */
  cancelledParts: z.number().int().min(0).max(MAX_PARTS),
});
export type CancelReply = z.infer<typeof CancelReply>;

/** `<p>.api.status` request. */
/** Most collectors one `api.status` reply lists; a larger view is read in pages (`after`). */
export const MAX_STATUS_PAGE = 1000;
/**
 * Bytes of collectors one `api.status` reply carries at most: a page ends early once its next
 * collector would pass this (adverts are up to 16 KiB each; a reply must fit in one message).
 */
export const MAX_STATUS_PAGE_BYTES = 512 * 1024;

/** `<p>.api.status` request: one page of the coordinator's view, collectors by id. */
export const StatusRequest = z
  .object({
    /** Only collectors whose id sorts after this one (the previous page's `next`). */
    after: Id.optional(),
    /** At most this many collectors (default and most MAX_STATUS_PAGE). */
    limit: z.number().int().min(1).max(MAX_STATUS_PAGE).optional(),
  })
  .default({});
export type StatusRequest = z.infer<typeof StatusRequest>;

export const CollectorStatus = z.object({
  advert: CollectorAdvert,
  health: HealthSchema,
  heartbeatAgeMs: z.number().min(0),
  inFlight: z.number().int().min(0),
  capacity: z.number().int().min(0),
});
export type CollectorStatus = z.infer<typeof CollectorStatus>;

/** `<p>.api.status` reply. */
export const StatusReply = z.object({
  coordinatorId: Id,
  /** One page, by id. */
  collectors: z.array(CollectorStatus).max(100_000),
  /** Collectors in the coordinator's view, all pages together. */
  total: z.number().int().min(0).optional(),
  /** Present when more follow: ask again with it as `after`. */
  next: Id.optional(),
});
export type StatusReply = z.infer<typeof StatusReply>;

/** `<p>.api.stats` request. */
export const StatsRequest = z.object({}).default({});
export type StatsRequest = z.infer<typeof StatsRequest>;

/**
 * Most instances an `api.stats` reply lists in `balancing.instances` (busy or troubled ones
 * first, then by id); `balancing.instancesOmitted` counts the rest. At 10,000 collectors the
 * whole list would not fit in one NATS message.
 */
export const MAX_STATS_INSTANCES = 1000;

/** `<p>.api.stats` reply: each component's stats object. */
export const StatsReply = z.object({
  coordinatorId: Id,
  routing: z.record(z.string(), z.unknown()),
  balancing: z
    .record(z.string(), z.unknown())
    .describe(
      `The balancer's counters; \`instances\` lists at most ${MAX_STATS_INSTANCES} instances ` +
        "(busy or troubled ones first, then by id) and `instancesOmitted` counts the rest.",
    ),
  distribution: z.record(z.string(), z.unknown()),
  aggregation: z.record(z.string(), z.unknown()),
  /** The coordinator's own counters (submitted, resent, failovers, …, resentFrom per instance). */
  coordinator: z.record(z.string(), z.unknown()).optional(),
});
export type StatsReply = z.infer<typeof StatsReply>;

export const CollectorEventKind = z.enum(["joined", "updated", "stale", "recovered", "left"]);
export type CollectorEventKind = z.infer<typeof CollectorEventKind>;

/** `<p>.event.collector.<id>`. */
export const CollectorEvent = z.object({
  kind: CollectorEventKind,
  collectorId: Id,
  health: HealthSchema,
  previousHealth: HealthSchema.optional(),
  at: Millis,
  advert: CollectorAdvert.optional(),
  /** The coordinator that observed it (one publishes each event for the whole mesh). */
  observedBy: Id.optional(),
});
export type CollectorEvent = z.infer<typeof CollectorEvent>;

/** `<p>.event.failover`. */
export const FailoverEvent = z.object({
  eventId: Id,
  failedCollectorId: Id,
  failoverTargetId: Id.optional(),
  timestamp: Millis,
  reason: z.string().max(1024),
  /** The observing coordinator's tasks that moved. */
  taskIds: z.array(Id).max(100_000),
  /** The coordinator that observed it (one publishes each event for the whole mesh). */
  observedBy: Id.optional(),
});
export type FailoverEvent = z.infer<typeof FailoverEvent>;

/** The message schemas of this file by name; every message of the contract is in messages.ts. */
export const CoreMessageSchemas = {
  CollectorAdvert,
  Task,
  Result,
  ErrorReply,
  SubmitRequest,
  AggregatedResult,
  DurableSubmission,
  SubmissionPlan,
  CancelTask,
  CancelRequest,
  CancelReply,
  StatusRequest,
  StatusReply,
  StatsRequest,
  StatsReply,
  CollectorEvent,
  FailoverEvent,
} as const;
