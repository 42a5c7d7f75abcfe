/**
 * Generates subjects/asyncapi.yaml (AsyncAPI 3) from the zod schemas: `npm run asyncapi`.
 * A test fails when the committed file differs from what this produces.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { stringify } from "yaml";
import {
  MAX_ADVERT_BYTES,
  MAX_CONTAINER_LENGTH,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_ELEMENTS,
  MAX_NESTING_DEPTH,
  MAX_STATUS_PAGE,
  MAX_STATUS_PAGE_BYTES,
} from "./schemas.js";
import { MessageSchemas, type MessageName } from "./messages.js";
import { DOMAINS, PRIORITY_NAMES } from "./caps.js";
import { DEFAULT_PREFIX, SERVICE_NAME } from "./subjects.js";
import { MeshHeaders } from "./headers.js";
import { ERROR_CODES } from "./codes.js";

const VERSION = "0.1.0";

function schemaOf(name: MessageName): Record<string, unknown> {
  const js = z.toJSONSchema(MessageSchemas[name], {
    io: "input",
    unrepresentable: "any",
    target: "draft-7",
  }) as Record<string, unknown>;
  delete js.$schema;
  return js;
}

const msgRef = (name: MessageName) => ({ $ref: `#/components/messages/${name}` });
import { huntChannels, huntOperations } from "./asyncapi-hunts.js";

const chRef = (name: string) => ({ $ref: `#/channels/${name}` });

export function buildAsyncApi(): Record<string, unknown> {
  const messages: Record<string, unknown> = {};
  for (const name of Object.keys(MessageSchemas) as MessageName[]) {
    messages[name] = {
      name,
      contentType: "application/msgpack",
      "x-maxBytes": name === "CollectorAdvert" ? MAX_ADVERT_BYTES : MAX_MESSAGE_BYTES,
      "x-maxDepth": MAX_NESTING_DEPTH,
      "x-maxElements": MAX_MESSAGE_ELEMENTS,
      headers: { $ref: "#/components/schemas/TraceHeaders" },
      payload: schemaOf(name),
    };
  }
  const p = "{prefix}";
  const prefixParam = {
    description: `Subject prefix, one token of [A-Za-z0-9_-] (default ${DEFAULT_PREFIX}).`,
    default: DEFAULT_PREFIX,
  };
  const idParam = (what: string) => ({
    description: `${what}, one subject token (no . * > or whitespace).`,
  });
  const channels = {
    plainTask: {
      address: `${p}.task.{domain}.{priority}`,
      description:
        "Plain path: collectors of the domain take tasks in queue group `{prefix}.{domain}`.",
      parameters: {
        prefix: prefixParam,
        domain: { enum: [...DOMAINS], description: "Collector domain." },
        priority: { enum: [...PRIORITY_NAMES], description: "Task priority." },
      },
      messages: { Task: msgRef("Task") },
    },
    collectorTask: {
      address: `${p}.collector.{collectorId}.task`,
      description:
        "Coordinated path: the instance the balancer chose. No subscriber = 503 no responders. An empty message with a reply subject is a liveness probe, answered with an empty reply.",
      parameters: { prefix: prefixParam, collectorId: idParam("Collector id") },
      messages: { Task: msgRef("Task") },
    },
    collectorCancel: {
      address: `${p}.collector.{collectorId}.cancel`,
      description:
        "Stop a task this instance runs (its handler is aborted and answers with a final Result, error code CANCELLED) or drop it from its queue (no answer). Without `attempt`, any attempt of the task; a cancel for a task the instance does not have changes nothing. Sent, with no reply subject, by a coordinator that abandoned an attempt for another or whose submission was cancelled.",
      parameters: { prefix: prefixParam, collectorId: idParam("Collector id") },
      messages: { CancelTask: msgRef("CancelTask") },
    },
    result: {
      address: `${p}.result.{coordinatorId}.{taskId}.{attempt}`,
      description: `Reply subject of a coordinated task. The trailing attempt token is optional. An invalid task is answered with an ErrorReply whose code is also in the Mesh-Error-Code header. While a handler runs, its collector sends now and then (the TypeScript SDK every progressMs, default 1000 ms, for runs older than that) an empty message with header ${MeshHeaders.Progress}: the coordinator gives the attempt more time.`,
      parameters: {
        prefix: prefixParam,
        coordinatorId: idParam("Coordinator id"),
        taskId: idParam("Task id"),
        attempt: { description: "Attempt number (optional token)." },
      },
      messages: { Result: msgRef("Result"), ErrorReply: msgRef("ErrorReply") },
    },
    apiSubmit: {
      address: `${p}.api.submit`,
      description: `Micro service ${SERVICE_NAME}, queue group ${SERVICE_NAME}. The reply is one AggregatedResult, or with \`stream: true\` several messages: each Result as it is accepted, keepalives (empty body, header ${MeshHeaders.Keepalive}) while the submission runs, the AggregatedResult without its results (header ${MeshHeaders.Record}: verdict), then an empty message that ends the reply.`,
      parameters: { prefix: prefixParam },
      messages: {
        SubmitRequest: msgRef("SubmitRequest"),
        AggregatedResult: msgRef("AggregatedResult"),
        Result: msgRef("Result"),
        ErrorReply: msgRef("ErrorReply"),
      },
    },
    durableSubmit: {
      address: `${p}.submit.{priority}.{owner}`,
      description: `Durable submissions, kept in the JetStream stream \`${p}_submissions\` (subjects \`${p}.submit.>\`, work queue). A submitter publishes through JetStream with header Nats-Msg-Id = the correlation id, so a submission sent again within the duplicate window is stored once; the ack means stored. Coordinators take each priority level with the durable consumer \`submit-{priority}\` (filter \`${p}.submit.{priority}.>\`); the one that holds a submission un-acked (renewed by in-progress acks) owns it, and the stream gives it to another coordinator when its owner dies.`,
      parameters: {
        prefix: prefixParam,
        priority: { enum: [...PRIORITY_NAMES], description: "The submission's priority." },
        owner: idParam("Submitter id (the owner token of its results subject)"),
      },
      messages: { DurableSubmission: msgRef("DurableSubmission") },
    },
    durableResults: {
      address: `${p}.results.{owner}.{correlationId}`,
      description: `A durable submission's records, kept in the JetStream stream \`${p}_results\` (subjects \`${p}.results.>\`, limits by age and bytes). Header ${MeshHeaders.Record} says what each is: \`plan\` (SubmissionPlan, Nats-Msg-Id \`<correlationId>:plan\`), \`result\` (Result, Nats-Msg-Id \`<correlationId>:<taskId>:<seq>\`) or \`verdict\` (AggregatedResult without its results, Nats-Msg-Id \`<correlationId>:verdict\`). A submitter reads its own with \`${p}.results.{owner}.>\`.`,
      parameters: {
        prefix: prefixParam,
        owner: idParam("Submitter id"),
        correlationId: idParam("Correlation id of the submission (at most 200 characters)"),
      },
      messages: {
        SubmissionPlan: msgRef("SubmissionPlan"),
        Result: msgRef("Result"),
        AggregatedResult: msgRef("AggregatedResult"),
      },
    },
    submissionCancel: {
      address: `${p}.cancel.{owner}.{correlationId}`,
      description: `Cancel a running submission. Every coordinator listens to \`${p}.cancel.>\`; the one running the submission (a durable one only under its own owner's subject) ends it \`cancelled\` (error code CANCELLED), drops its queued parts, cancels its running ones on their instances, and answers a request with a CancelReply. No reply: no coordinator runs it (finished, or unknown). An empty body is a CancelRequest without reason.`,
      parameters: {
        prefix: prefixParam,
        owner: idParam("Submitter id"),
        correlationId: idParam("Correlation id of the submission"),
      },
      messages: { CancelRequest: msgRef("CancelRequest"), CancelReply: msgRef("CancelReply") },
    },
    apiStatus: {
      address: `${p}.api.status`,
      parameters: { prefix: prefixParam },
      messages: {
        StatusRequest: msgRef("StatusRequest"),
        StatusReply: msgRef("StatusReply"),
        ErrorReply: msgRef("ErrorReply"),
      },
    },
    apiStats: {
      address: `${p}.api.stats`,
      parameters: { prefix: prefixParam },
      messages: {
        StatsRequest: msgRef("StatsRequest"),
        StatsReply: msgRef("StatsReply"),
        ErrorReply: msgRef("ErrorReply"),
      },
    },
    collectorEvent: {
      address: `${p}.event.collector.{collectorId}`,
      parameters: { prefix: prefixParam, collectorId: idParam("Collector id") },
      messages: { CollectorEvent: msgRef("CollectorEvent") },
    },
    failoverEvent: {
      address: `${p}.event.failover`,
      parameters: { prefix: prefixParam },
      messages: { FailoverEvent: msgRef("FailoverEvent") },
    },
    ...huntChannels(p, prefixParam, idParam, msgRef),
    collectorAdvert: {
      address: `$KV.${p}_collectors.{collectorId}`,
      description:
        "JetStream KV bucket `{prefix}_collectors`, key = collector id (must equal the advert's id), history 1, max age = advert TTL.",
      parameters: { prefix: prefixParam, collectorId: idParam("Collector id") },
      messages: { CollectorAdvert: msgRef("CollectorAdvert") },
    },
  };
  const op = (
    action: "send" | "receive",
    channel: string,
    summary: string,
    msgs: MessageName[],
    reply?: { channel?: string; msgs: MessageName[] },
  ) => ({
    action,
    channel: chRef(channel),
    summary,
    messages: msgs.map((m) => ({ $ref: `#/channels/${channel}/messages/${m}` })),
    ...(reply
      ? {
          reply: {
            ...(reply.channel ? { channel: chRef(reply.channel) } : {}),
            messages: reply.msgs.map((m) => ({
              $ref: `#/channels/${reply.channel ?? channel}/messages/${m}`,
            })),
          },
        }
      : {}),
  });
  const operations = {
    publishPlainTask: op(
      "send",
      "plainTask",
      "A publisher emits a task for a domain's queue group.",
      ["Task"],
    ),
    receivePlainTask: op(
      "receive",
      "plainTask",
      "A collector of the domain takes a task (queue group).",
      ["Task"],
      { channel: "result", msgs: ["Result", "ErrorReply"] },
    ),
    dispatchTask: op(
      "send",
      "collectorTask",
      "The coordinator sends a task to the chosen instance.",
      ["Task"],
      { channel: "result", msgs: ["Result", "ErrorReply"] },
    ),
    receiveDirectTask: op(
      "receive",
      "collectorTask",
      "A collector receives a task on its direct subject.",
      ["Task"],
    ),
    cancelAttempt: op(
      "send",
      "collectorCancel",
      "A coordinator tells an instance to stop an attempt it abandoned or whose submission ended.",
      ["CancelTask"],
    ),
    receiveCancel: op(
      "receive",
      "collectorCancel",
      "A collector aborts the running attempt, or drops the queued one, of that task.",
      ["CancelTask"],
    ),
    receiveResult: op(
      "receive",
      "result",
      "The coordinator's one result-inbox subscription ({prefix}.result.{coordinatorId}.>).",
      ["Result", "ErrorReply"],
    ),
    submit: op(
      "receive",
      "apiSubmit",
      "Submit a task and get the aggregated result.",
      ["SubmitRequest"],
      { msgs: ["AggregatedResult", "Result", "ErrorReply"] },
    ),
    submitDurable: op(
      "send",
      "durableSubmit",
      "A submitter stores a durable submission (JetStream publish, Nats-Msg-Id = correlation id).",
      ["DurableSubmission"],
    ),
    takeDurable: op(
      "receive",
      "durableSubmit",
      "Coordinators take durable submissions, one durable consumer per priority level.",
      ["DurableSubmission"],
    ),
    storeRecords: op(
      "send",
      "durableResults",
      "The owning coordinator stores a fan-out's plan, each distinct result and the verdict.",
      ["SubmissionPlan", "Result", "AggregatedResult"],
    ),
    readRecords: op(
      "receive",
      "durableResults",
      "A submitter reads its submissions' records ({prefix}.results.{owner}.>).",
      ["SubmissionPlan", "Result", "AggregatedResult"],
    ),
    cancelSubmission: op(
      "send",
      "submissionCancel",
      "A submitter (or operator) cancels a running submission.",
      ["CancelRequest"],
      { msgs: ["CancelReply"] },
    ),
    receiveCancelSubmission: op(
      "receive",
      "submissionCancel",
      "Every coordinator hears a cancel; the one running the submission ends it and answers.",
      ["CancelRequest"],
      { msgs: ["CancelReply"] },
    ),
    status: op(
      "receive",
      "apiStatus",
      "Collectors with health, load and heartbeat age, by id (compared as UTF-16 code units), one " +
        "page a reply: at most " +
        `${MAX_STATUS_PAGE} collectors and ${MAX_STATUS_PAGE_BYTES} bytes of them; \`next\` ` +
        "(absent on the last page) is the `after` of the next request.",
      ["StatusRequest"],
      { msgs: ["StatusReply", "ErrorReply"] },
    ),
    stats: op(
      "receive",
      "apiStats",
      "Routing, balancing, distribution and aggregation stats.",
      ["StatsRequest"],
      { msgs: ["StatsReply", "ErrorReply"] },
    ),
    publishCollectorEvent: op(
      "send",
      "collectorEvent",
      "Routers publish joined, updated, stale, recovered and left.",
      ["CollectorEvent"],
    ),
    publishFailoverEvent: op(
      "send",
      "failoverEvent",
      "The coordinator publishes a failover and the tasks it moves.",
      ["FailoverEvent"],
    ),
    advertise: op("send", "collectorAdvert", "A collector puts its advert and heartbeats.", [
      "CollectorAdvert",
    ]),
    watchAdverts: op("receive", "collectorAdvert", "Routers watch the bucket.", [
      "CollectorAdvert",
    ]),
    ...huntOperations(op),
  };
  return {
    asyncapi: "3.0.0",
    info: {
      title: "collector-mesh",
      version: VERSION,
      description:
        "The wire contract of collector-mesh: subjects, messages (MessagePack, validated on receipt) and headers. Trace context travels in the traceparent/tracestate headers, never in payloads. " +
        `Receivers refuse, before decoding, a message larger than ${MAX_MESSAGE_BYTES} bytes (an advert: ${MAX_ADVERT_BYTES}), nested deeper than ${MAX_NESTING_DEPTH} levels of arrays and maps (the message itself is level 1), holding more than ${MAX_MESSAGE_ELEMENTS} values in all (array items, map keys and values), or an array or map of more than ${MAX_CONTAINER_LENGTH} entries; a message whose schema is an object must be a map.`,
    },
    defaultContentType: "application/msgpack",
    channels,
    operations,
    components: {
      messages,
      schemas: {
        TraceHeaders: {
          type: "object",
          properties: {
            [MeshHeaders.TraceParent]: { type: "string", description: "W3C trace context." },
            [MeshHeaders.TraceState]: { type: "string" },
            [MeshHeaders.ErrorCode]: {
              type: "string",
              enum: [...ERROR_CODES],
              description: "On error replies.",
            },
            [MeshHeaders.Error]: { type: "string", description: "On error replies." },
            [MeshHeaders.Record]: {
              type: "string",
              enum: ["plan", "result", "verdict"],
              description:
                "What a message on a results subject, or of a streamed api reply, is (no header: result).",
            },
            [MeshHeaders.Progress]: {
              type: "string",
              description:
                "On a task's reply subject, an empty message that says the handler is still working: the coordinator gives the attempt more time.",
            },
            [MeshHeaders.Keepalive]: {
              type: "string",
              description:
                "A streamed api reply that only says the submission is still running (empty body).",
            },
            [MeshHeaders.Coordinator]: {
              type: "string",
              description: "The coordinator that observed an event or owns a submission.",
            },
            [MeshHeaders.Signature]: {
              type: "string",
              pattern: "^[A-Za-z0-9_-]{85}[AQgw]$",
              description:
                "On a Result from a collector whose advert has a signingKey: the ed25519 signature (64 bytes, base64url without padding) of the message body exactly as the collector sent it. A Result passed on (results stream record, streamed api reply) keeps the collector's bytes and this header.",
            },
          },
        },
      },
    },
  };
}

export function renderAsyncApi(): string {
  return (
    "# Generated by `npm run asyncapi` from subjects/schemas.ts. Do not edit by hand.\n" +
    stringify(buildAsyncApi(), { lineWidth: 0, aliasDuplicateObjects: false })
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fileURLToPath(new URL("./asyncapi.yaml", import.meta.url));
  writeFileSync(out, renderAsyncApi());
  console.log(`wrote ${out}`);
}
