/** Golden vectors of what a collector answers: Result and ErrorReply. */
import { caseMaker, result, MAX_SAFE, type VectorCase } from "./vector-cases.js";
import { f64, mapWith, u64 } from "./vector-bytes.js";

function resultCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("Result");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(result, changes));
  return [
    valid("minimal", "an ok result without payload or attempt", result),
    valid("streamed-part", "a streamed part: seq 3, not final, attempt 2", {
      ...result,
      seq: 3,
      final: false,
      payload: { load1: 0.42, memAvailableKb: 123456 },
      attempt: 2,
    }),
    valid("error", "an error result", {
      ...result,
      status: "error",
      error: { code: "TIMEOUT", message: "task t-1 deadline passed" },
      attempt: 0,
    }),
    valid("collector-lost", "a fan-out part whose instance left", {
      ...result,
      status: "error",
      error: { code: "COLLECTOR_LOST", message: "perfmond-1 left while the part was running" },
    }),
    valid("cancelled", "what a collector sends when a cancel stops the running attempt", {
      ...result,
      seq: 2,
      status: "error",
      error: { code: "CANCELLED", message: "task t-1 cancelled: attempt timeout" },
      attempt: 0,
    }),
    valid("processing-fraction", "processingMs is any number >= 0", {
      ...result,
      processingMs: 12.5,
    }),
    valid(
      "processing-uint64",
      "processingMs as uint64 2^60",
      mapWith(result, { processingMs: u64(2n ** 60n) }),
    ),
    valid("bounds-max", "seq 2^53-1, attempt 1000, message 1024", {
      ...result,
      seq: MAX_SAFE,
      attempt: 1000,
      status: "error",
      error: { code: "HANDLER_ERROR", message: "m".repeat(1024) },
    }),
    bad("status-unknown", "status done", { status: "done" }),
    bad("final-missing", "no final", { final: undefined }),
    bad("final-number", "final as 1", { final: 1 }),
    bad("seq-negative", "seq -1", { seq: -1 }),
    bad("error-nil", "error nil is not an absent error", { error: null }),
    bad("error-code-unknown", "unknown error code", {
      status: "error",
      error: { code: "BROKEN", message: "" },
    }),
    bad("error-message-1025", "error message one over 1024", {
      status: "error",
      error: { code: "INTERNAL", message: "m".repeat(1025) },
    }),
    bad("error-message-missing", "error without message", {
      status: "error",
      error: { code: "INTERNAL" },
    }),
    bad("processing-negative", "processingMs -0.5", { processingMs: -0.5 }),
    bad("processing-infinity", "processingMs +Infinity", {
      processingMs: f64(Number.POSITIVE_INFINITY),
    }),
    bad("collector-id-gt", "> in collectorId", { collectorId: "perf>" }),
    bad("attempt-1001", "attempt one over 1000", { attempt: 1001 }),
    bad("produced-at-string", "producedAt as a string", { producedAt: "2024-01-01" }),
  ];
}

function errorReplyCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("ErrorReply");
  return [
    valid("invalid-message", "what a collector answers to an invalid task", {
      error: {
        code: "INVALID_MESSAGE",
        message: "invalid message: taskId: must be one subject token",
      },
    }),
    valid("empty-message", "an empty message", { error: { code: "OVERLOADED", message: "" } }),
    valid("unavailable", "what a client makes of a lost coordinator", {
      error: { code: "UNAVAILABLE", message: "the coordinator stopped answering" },
    }),
    valid("cancelled", "a cancelled submission, as an api reply", {
      error: { code: "CANCELLED", message: "cancelled: operator said so" },
    }),
    valid("slow-consumer", "a stream reader that fell behind its byte budget", {
      error: {
        code: "SLOW_CONSUMER",
        message: "stream of c-1: results arrived faster than it read them",
      },
    }),
    valid("message-1024", "message at 1024", {
      error: { code: "STOPPED", message: "m".repeat(1024) },
    }),
    valid("unknown-fields", "extra fields are dropped", {
      error: { code: "INTERNAL", message: "x", at: 1 },
      x: 1,
    }),
    invalid("error-missing", "an empty map", {}),
    invalid("error-string", "error as a string", { error: "INTERNAL" }),
    invalid("code-unknown", "unknown code", { error: { code: "TEAPOT", message: "" } }),
    invalid("code-lower-case", "codes are upper case", {
      error: { code: "internal", message: "" },
    }),
    invalid("code-canceled", "CANCELED is not the code", {
      error: { code: "CANCELED", message: "" },
    }),
    invalid("message-1025", "message one over 1024", {
      error: { code: "INTERNAL", message: "m".repeat(1025) },
    }),
  ];
}

export function replyCases(): VectorCase[] {
  return [...resultCases(), ...errorReplyCases()];
}
