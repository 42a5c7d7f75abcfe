/**
 * Golden vectors of cancels: CancelTask (on `<p>.collector.<id>.cancel`, what a collector hears
 * when an attempt it runs or has queued is abandoned) and CancelRequest / CancelReply (on
 * `<p>.cancel.<owner>.<correlationId>`, a submission cancelled by its submitter). The cancelled
 * verdict, result and error reply are beside the other AggregatedResult, Result and ErrorReply
 * vectors.
 */
import { caseMaker, type VectorCase } from "./vector-cases.js";
import { f64, mapWith } from "./vector-bytes.js";

const cancelTask = { taskId: "t-1", attempt: 0, reason: "attempt timeout" };

function cancelTaskCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("CancelTask");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(cancelTask, changes));
  return [
    valid("minimal", "no attempt (any attempt of the task), an empty reason", {
      taskId: "t-1",
      reason: "",
    }),
    valid("full", "one attempt, with its reason", {
      taskId: "c-1-3",
      attempt: 2,
      reason: "cancelled: aborted by its submitter",
    }),
    valid("bounds-max", "taskId 256, attempt 1000, reason 1024", {
      taskId: "t".repeat(256),
      attempt: 1000,
      reason: "r".repeat(1024),
    }),
    valid("bounds-min", "taskId of one character, attempt 0", {
      taskId: "t",
      attempt: 0,
      reason: "",
    }),
    valid("task-id-256-code-points", "256 emoji (512 UTF-16 units)", {
      ...cancelTask,
      taskId: "\u{1F600}".repeat(256),
    }),
    valid("reason-1024-code-points", "1024 emoji in the reason", {
      ...cancelTask,
      reason: "\u{1F600}".repeat(1024),
    }),
    valid(
      "attempt-float",
      "attempt 3 sent as float64 3.0",
      mapWith(cancelTask, { attempt: f64(3) }),
    ),
    valid("unknown-fields", "fields the schema does not name are dropped", {
      ...cancelTask,
      correlationId: "c-1",
      at: 1,
    }),
    bad("task-id-missing", "no taskId", { taskId: undefined }),
    bad("task-id-empty", "empty taskId", { taskId: "" }),
    bad("task-id-257", "taskId one over 256", { taskId: "t".repeat(257) }),
    bad("task-id-257-code-points", "257 emoji", { taskId: "\u{1F600}".repeat(257) }),
    bad("task-id-dot", "a dot in taskId", { taskId: "t.1" }),
    bad("task-id-star", "wildcard in taskId", { taskId: "t*" }),
    bad("task-id-gt", "full wildcard in taskId", { taskId: ">" }),
    bad("task-id-space", "space in taskId", { taskId: "t 1" }),
    bad("task-id-nbsp", "U+00A0 is whitespace", { taskId: "t\u00a01" }),
    bad("task-id-number", "taskId of the wrong type", { taskId: 1 }),
    bad("attempt-1001", "attempt one over 1000", { attempt: 1001 }),
    bad("attempt-negative", "attempt -1", { attempt: -1 }),
    bad("attempt-fraction", "attempt 0.5", { attempt: 0.5 }),
    bad("attempt-nil", "nil is not an absent attempt", { attempt: null }),
    bad("attempt-string", "attempt as a string", { attempt: "0" }),
    bad("reason-missing", "no reason (required, may be empty)", { reason: undefined }),
    bad("reason-1025", "reason one over 1024", { reason: "r".repeat(1025) }),
    bad("reason-nil", "reason nil", { reason: null }),
    bad("reason-number", "reason of the wrong type", { reason: 7 }),
    invalid("root-array", "an array, not a map", [cancelTask]),
    invalid("root-nil", "nil", null),
    invalid("root-string", "a string", "t-1"),
  ];
}

function cancelRequestCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("CancelRequest");
  return [
    valid("empty", "an empty map: no reason", {}),
    valid("reason", "with a reason", { reason: "operator said so" }),
    valid("reason-1024", "reason at 1024", { reason: "r".repeat(1024) }),
    valid("reason-empty", "an empty reason", { reason: "" }),
    valid("unknown-fields", "fields the schema does not name are dropped", {
      reason: "x",
      owner: "ops",
    }),
    invalid("reason-1025", "reason one over 1024", { reason: "r".repeat(1025) }),
    invalid("reason-nil", "nil is not an absent reason", { reason: null }),
    invalid("reason-number", "reason of the wrong type", { reason: 1 }),
    invalid("root-nil", "nil is not a map (no default here)", null),
    invalid("root-array", "an array", []),
    invalid("root-string", "a string", "cancel"),
  ];
}

const reply = { correlationId: "job-x", coordinatorId: "coord-1", cancelledParts: 1 };

function cancelReplyCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("CancelReply");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(reply, changes));
  return [
    valid("minimal", "one part was still open", reply),
    valid("none-open", "cancelled when nothing was open any more", {
      ...reply,
      cancelledParts: 0,
    }),
    valid("bounds-max", "ids 256, cancelledParts 100000", {
      correlationId: "c".repeat(256),
      coordinatorId: "k".repeat(256),
      cancelledParts: 100_000,
    }),
    valid("bounds-min", "one-character ids", {
      correlationId: "c",
      coordinatorId: "k",
      cancelledParts: 0,
    }),
    valid(
      "parts-float",
      "cancelledParts 3 sent as float64 3.0",
      mapWith(reply, { cancelledParts: f64(3) }),
    ),
    valid("unknown-fields", "fields the schema does not name are dropped", {
      ...reply,
      status: "cancelled",
    }),
    bad("correlation-id-missing", "no correlationId", { correlationId: undefined }),
    bad("correlation-id-empty", "empty correlationId", { correlationId: "" }),
    bad("correlation-id-257", "correlationId one over 256", { correlationId: "c".repeat(257) }),
    bad("correlation-id-dot", "a dot in correlationId", { correlationId: "job.x" }),
    bad("coordinator-id-missing", "no coordinatorId", { coordinatorId: undefined }),
    bad("coordinator-id-star", "wildcard in coordinatorId", { coordinatorId: "coord*" }),
    bad("coordinator-id-tab", "tab in coordinatorId", { coordinatorId: "coord\t1" }),
    bad("coordinator-id-257", "coordinatorId one over 256", { coordinatorId: "k".repeat(257) }),
    bad("cancelled-parts-missing", "no cancelledParts", { cancelledParts: undefined }),
    bad("cancelled-parts-negative", "cancelledParts -1", { cancelledParts: -1 }),
    bad("cancelled-parts-100001", "cancelledParts one over 100000", { cancelledParts: 100_001 }),
    bad("cancelled-parts-fraction", "cancelledParts 1.5", { cancelledParts: 1.5 }),
    bad("cancelled-parts-string", "cancelledParts as a string", { cancelledParts: "1" }),
    bad("cancelled-parts-nil", "cancelledParts nil", { cancelledParts: null }),
    invalid("root-array", "an array, not a map", [reply]),
  ];
}

export function cancelCases(): VectorCase[] {
  return [...cancelTaskCases(), ...cancelRequestCases(), ...cancelReplyCases()];
}
