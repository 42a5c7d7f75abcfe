/**
 * Golden vectors of the api and event messages: SubmitRequest, AggregatedResult, StatusRequest,
 * StatusReply, StatsRequest, StatsReply, CollectorEvent, FailoverEvent. The durable path is in
 * vector-cases-durable.ts, cancels in vector-cases-cancel.ts, targeting and a fan-out's instances
 * in vector-cases-targeting.ts.
 */
import { advert, caseMaker, result, MAX_SAFE, type VectorCase } from "./vector-cases.js";
import { cancelCases } from "./vector-cases-cancel.js";
import { targetingCases } from "./vector-cases-targeting.js";
import { map, mapWith, raw } from "./vector-bytes.js";
import { MAX_STATUS_PAGE } from "./schemas.js";

function submitCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("SubmitRequest");
  const submit = { requiredCapabilities: 0x08 };
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(submit, changes));
  return [
    valid("minimal", "priority, mode and timeoutMs take their defaults", submit),
    valid("full", "every field given", {
      requiredCapabilities: 0x09,
      priority: 2,
      payload: { stream: 2 },
      mode: "all",
      expected: 3,
      timeoutMs: 2000,
      correlationId: "corr-1",
      stream: true,
      durable: false,
    }),
    valid("bounds-max", "expected 10000, timeoutMs one hour", {
      requiredCapabilities: 127,
      priority: 3,
      expected: 10_000,
      timeoutMs: 3_600_000,
      correlationId: "c".repeat(256),
    }),
    valid("bounds-min", "expected 1, timeoutMs 1", {
      requiredCapabilities: 0,
      priority: 0,
      expected: 1,
      timeoutMs: 1,
    }),
    bad("capabilities-missing", "no requiredCapabilities", { requiredCapabilities: undefined }),
    bad("mode-unknown", "mode some", { mode: "some" }),
    bad("priority-nil", "nil priority is not an absent one", { priority: null }),
    bad("priority-5", "priority 5", { priority: 5 }),
    bad("expected-0", "expected under 1", { expected: 0 }),
    bad("expected-10001", "expected one over 10000", { expected: 10_001 }),
    bad("timeout-0", "timeoutMs under 1", { timeoutMs: 0 }),
    bad("timeout-3600001", "timeoutMs one over an hour", { timeoutMs: 3_600_001 }),
    bad("correlation-id-dot", "a dot in correlationId", { correlationId: "a.b" }),
    valid("durable", "a durable submission with a single reply", {
      ...submit,
      stream: false,
      durable: true,
    }),
    bad("stream-number", "stream as 1", { stream: 1 }),
    bad("stream-nil", "nil is not an absent stream", { stream: null }),
    bad("durable-string", "durable as a string", { durable: "yes" }),
  ];
}

function aggregatedCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("AggregatedResult");
  const agg = {
    correlationId: "c-1",
    status: "complete",
    results: [result],
    expected: 1,
    received: 1,
    duplicates: 0,
    startedAt: 1_700_000_000_000,
    completedAt: 1_700_000_000_120,
  };
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(agg, changes));
  return [
    valid("complete", "one result", agg),
    valid("partial", "two of three results, one streamed", {
      ...agg,
      status: "partial",
      results: [result, { ...result, taskId: "t-2", seq: 1, final: false, attempt: 1 }],
      expected: 3,
      received: 2,
      duplicates: 1,
    }),
    valid("failed", "no result, an error", {
      ...agg,
      status: "failed",
      results: [],
      received: 0,
      error: { code: "NO_CAPABLE_COLLECTOR", message: "no collector has PERFORMANCE" },
    }),
    valid("timed-out", "no result in time", {
      ...agg,
      status: "timed_out",
      results: [],
      received: 0,
    }),
    valid("cancelled", "cancelled by its submitter after one of two results", {
      ...agg,
      status: "cancelled",
      expected: 2,
      error: { code: "CANCELLED", message: "cancelled: operator said so" },
    }),
    valid("cancelled-empty", "cancelled before any result", {
      ...agg,
      status: "cancelled",
      results: [],
      received: 0,
      error: { code: "CANCELLED", message: "cancelled: aborted by its submitter" },
    }),
    bad("status-unknown", "status done", { status: "done" }),
    bad("status-canceled", "the American spelling is not the status", { status: "canceled" }),
    bad("result-invalid", "the second result has seq -1", {
      results: [result, { ...result, seq: -1 }],
    }),
    bad("results-map", "results as a map", { results: { 0: result } }),
    bad("expected-negative", "expected -1", { expected: -1 }),
    bad("completed-at-missing", "no completedAt", { completedAt: undefined }),
  ];
}

function statusCases(): VectorCase[] {
  const req = caseMaker("StatusRequest");
  const rep = caseMaker("StatusReply");
  const status = {
    advert,
    health: "healthy",
    heartbeatAgeMs: 120.5,
    inFlight: 1,
    capacity: 3,
  };
  const reply = { coordinatorId: "coord-1", collectors: [status] };
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    rep.invalid(name, description, mapWith(reply, changes));
  const statsReq = caseMaker("StatsRequest");
  return [
    req.valid("empty", "an empty map", {}),
    req.valid("unknown-fields", "fields are dropped", { verbose: true }),
    req.invalid("nil", "nil is not a map", null),
    req.invalid("array", "an array", []),
    req.valid("page", "the page after an id, at most 2", { after: "c00001", limit: 2 }),
    req.valid("limit-max", "a limit of MAX_STATUS_PAGE", { limit: MAX_STATUS_PAGE }),
    req.invalid("limit-zero", "limit 0", { limit: 0 }),
    req.invalid("limit-over", "a limit above MAX_STATUS_PAGE", { limit: MAX_STATUS_PAGE + 1 }),
    req.invalid("limit-fraction", "limit 1.5", { limit: 1.5 }),
    req.invalid("after-star", "* in after", { after: "c*" }),
    req.invalid("after-empty", "an empty after", { after: "" }),
    statsReq.valid("empty", "an empty map", {}),
    statsReq.invalid("string", "a string", "stats"),
    rep.valid("empty", "no collectors", { coordinatorId: "coord-1", collectors: [] }),
    rep.valid("one", "one collector; its advert's weight defaults to 1", reply),
    rep.valid("page", "a page with the total and where the next one starts", {
      ...reply,
      total: 2500,
      next: "procmond-1",
    }),
    bad("total-negative", "total -1", { total: -1 }),
    bad("next-dot", "a dot in next", { next: "a.b" }),
    bad("coordinator-id-star", "* in coordinatorId", { coordinatorId: "coord*" }),
    bad("advert-health", "a collector's advert with unknown health", {
      collectors: [{ ...status, advert: { ...advert, health: "sick" } }],
    }),
    bad("age-negative", "heartbeatAgeMs -1", { collectors: [{ ...status, heartbeatAgeMs: -1 }] }),
    bad("capacity-fraction", "capacity 1.5", { collectors: [{ ...status, capacity: 1.5 }] }),
  ];
}

function statsCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("StatsReply");
  const stats = {
    coordinatorId: "coord-1",
    routing: { collectors: 2, decisions: 10 },
    balancing: { strategy: "least-connections", perInstance: { a: { inFlight: 1 } } },
    distribution: { queued: 0 },
    aggregation: { active: 0, completed: 10 },
  };
  return [
    valid("full", "nested stats objects", stats),
    valid(
      "int-keys",
      "number keys of a record read as strings",
      mapWith(stats, { routing: map([[raw(0x07), "seven"]]) }),
    ),
    valid("coordinator", "the coordinator's own counters, resentFrom per instance", {
      ...stats,
      coordinator: { submitted: 3, resent: 1, failovers: 1, resentFrom: { "perfmond-1": 1 } },
    }),
    invalid("routing-array", "routing as an array", { ...stats, routing: [1] }),
    invalid("coordinator-array", "coordinator as an array", { ...stats, coordinator: [3] }),
    invalid("coordinator-nil", "nil is not an absent coordinator", { ...stats, coordinator: null }),
    invalid("aggregation-missing", "no aggregation", mapWith(stats, { aggregation: undefined })),
    invalid("coordinator-id-empty", "empty coordinatorId", { ...stats, coordinatorId: "" }),
  ];
}

function eventCases(): VectorCase[] {
  const ev = caseMaker("CollectorEvent");
  const joined = {
    kind: "joined",
    collectorId: "perfmond-1",
    health: "healthy",
    at: 1_700_000_000_000,
    advert,
  };
  const fo = caseMaker("FailoverEvent");
  const failover = {
    eventId: "fo-1",
    failedCollectorId: "perfmond-1",
    failoverTargetId: "perfmond-2",
    timestamp: 1_700_000_000_000,
    reason: "no responders",
    taskIds: ["t-1", "t-2"],
  };
  return [
    ev.valid("joined", "a joined event with its advert", joined),
    ev.valid("left", "a left event without advert", {
      kind: "left",
      collectorId: "perfmond-1",
      health: "unavailable",
      previousHealth: "healthy",
      at: MAX_SAFE,
    }),
    ev.valid("recovered", "recovered from degraded", {
      ...joined,
      kind: "recovered",
      previousHealth: "degraded",
    }),
    ev.valid("observed-by", "names the coordinator that observed it", {
      ...joined,
      observedBy: "coord-1",
    }),
    ev.invalid("observed-by-dot", "a dot in observedBy", { ...joined, observedBy: "coord.1" }),
    fo.valid("observed-by", "names the observing coordinator, no task of its own", {
      ...failover,
      taskIds: [],
      observedBy: "coord-2",
    }),
    fo.invalid("observed-by-empty", "an empty observedBy", { ...failover, observedBy: "" }),
    ev.invalid("kind-unknown", "kind exploded", { ...joined, kind: "exploded" }),
    ev.invalid("previous-health-nil", "previousHealth nil", { ...joined, previousHealth: null }),
    ev.invalid("advert-invalid", "the advert inside has maxConcurrency 0", {
      ...joined,
      advert: { ...advert, maxConcurrency: 0 },
    }),
    ev.invalid("at-negative", "at -1", { ...joined, at: -1 }),
    fo.valid("full", "a failover with a target", failover),
    fo.valid("no-target", "no target, no tasks, reason at 1024", {
      ...failover,
      failoverTargetId: undefined,
      taskIds: [],
      reason: "r".repeat(1024),
    }),
    fo.invalid("task-id-bad", "the second task id has a space", {
      ...failover,
      taskIds: ["t-1", "t 2"],
    }),
    fo.invalid("reason-1025", "reason one over 1024", { ...failover, reason: "r".repeat(1025) }),
    fo.invalid("task-ids-string", "taskIds as a string", { ...failover, taskIds: "t-1" }),
    fo.invalid("target-empty", "empty failoverTargetId", { ...failover, failoverTargetId: "" }),
  ];
}

export function apiCases(): VectorCase[] {
  return [
    ...submitCases(),
    ...aggregatedCases(),
    ...statusCases(),
    ...statsCases(),
    ...eventCases(),
    ...cancelCases(),
    ...targetingCases(),
  ];
}
