/**
 * Golden vectors of the durable path: DurableSubmission (what the submissions stream keeps) and
 * SubmissionPlan (the first record of a fan-out on its results subject).
 */
import { caseMaker, MAX_SAFE, type VectorCase } from "./vector-cases.js";
import { mapWith } from "./vector-bytes.js";

const submission = {
  correlationId: "c-1",
  owner: "client-1",
  requiredCapabilities: 0x08,
  priority: 1,
  mode: "one",
  timeoutMs: 5000,
  submittedAt: 1_700_000_000_000,
  deadline: 1_700_000_005_000,
};

function submissionCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("DurableSubmission");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(submission, changes));
  return [
    valid("minimal", "no payload, no expected (nothing has a default here)", submission),
    valid("full", "a fan-out with a payload and an expected count", {
      ...submission,
      requiredCapabilities: 0x08 | 0x40,
      priority: 3,
      payload: { stream: 2, tags: ["a"] },
      mode: "all",
      expected: 3,
    }),
    valid("payload-nil", "payload nil is a payload", { ...submission, payload: null }),
    valid("bounds-max", "correlationId 200, owner 256, expected 100000, timeoutMs one day", {
      correlationId: "c".repeat(200),
      owner: "o".repeat(256),
      requiredCapabilities: 127,
      priority: 3,
      mode: "all",
      expected: 100_000,
      timeoutMs: 86_400_000,
      submittedAt: MAX_SAFE,
      deadline: MAX_SAFE,
    }),
    valid("bounds-min", "one-character ids, expected 1, timeoutMs 1, times 0", {
      correlationId: "c",
      owner: "o",
      requiredCapabilities: 0,
      priority: 0,
      mode: "one",
      expected: 1,
      timeoutMs: 1,
      submittedAt: 0,
      deadline: 0,
    }),
    valid("correlation-id-200-code-points", "200 emoji (400 UTF-16 units)", {
      ...submission,
      correlationId: "\u{1F600}".repeat(200),
    }),
    valid("unknown-fields", "fields the schema does not name are dropped", {
      ...submission,
      stream: true,
      attempt: 2,
    }),
    bad("correlation-id-missing", "no correlationId", { correlationId: undefined }),
    bad("correlation-id-empty", "empty correlationId", { correlationId: "" }),
    bad("correlation-id-201", "correlationId one over 200", { correlationId: "c".repeat(201) }),
    bad("correlation-id-201-code-points", "201 emoji", {
      correlationId: "\u{1F600}".repeat(201),
    }),
    bad("correlation-id-dot", "a dot in correlationId", { correlationId: "c.1" }),
    bad("owner-missing", "no owner", { owner: undefined }),
    bad("owner-257", "owner one over 256", { owner: "o".repeat(257) }),
    bad("owner-star", "wildcard in owner", { owner: "client*" }),
    bad("owner-space", "space in owner", { owner: "client 1" }),
    bad("required-capabilities-128", "unknown capability bit", { requiredCapabilities: 128 }),
    bad("priority-missing", "no priority (no default in a stored submission)", {
      priority: undefined,
    }),
    bad("priority-4", "priority one over 3", { priority: 4 }),
    bad("priority-name", "priority by name", { priority: "high" }),
    bad("mode-missing", "no mode (no default in a stored submission)", { mode: undefined }),
    bad("mode-unknown", "mode some", { mode: "some" }),
    bad("expected-0", "expected under 1", { expected: 0 }),
    bad("expected-100001", "expected one over 100000", { expected: 100_001 }),
    bad("expected-nil", "nil is not an absent expected", { expected: null }),
    bad("timeout-missing", "no timeoutMs", { timeoutMs: undefined }),
    bad("timeout-0", "timeoutMs under 1", { timeoutMs: 0 }),
    bad("timeout-86400001", "timeoutMs one over a day", { timeoutMs: 86_400_001 }),
    bad("submitted-at-missing", "no submittedAt", { submittedAt: undefined }),
    bad("submitted-at-negative", "submittedAt -1", { submittedAt: -1 }),
    bad("deadline-missing", "no deadline", { deadline: undefined }),
    bad("deadline-2-53", "deadline 2^53, past the safe integers", { deadline: 2 ** 53 }),
    invalid("root-array", "an array, not a map", [submission]),
  ];
}

const part = (i: number, collectorId: string) => ({ taskId: `c-1-${i}`, collectorId });

const plan = {
  correlationId: "c-1",
  coordinatorId: "coord-1",
  expected: 2,
  parts: [part(0, "perfmond-1"), part(1, "perfmond-2")],
  at: 1_700_000_000_010,
};

function planCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("SubmissionPlan");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(plan, changes));
  return [
    valid("two-parts", "a fan-out to two instances", plan),
    valid("empty", "no part, expected 0", { ...plan, expected: 0, parts: [] }),
    valid("bounds-max", "correlationId 200, ids 256, expected 100000, at 2^53-1", {
      correlationId: "c".repeat(200),
      coordinatorId: "k".repeat(256),
      expected: 100_000,
      parts: [{ taskId: "t".repeat(256), collectorId: "i".repeat(256) }],
      at: MAX_SAFE,
    }),
    valid("many-parts", "1000 parts on 10 instances", {
      ...plan,
      expected: 1000,
      parts: Array.from({ length: 1000 }, (_, i) => part(i, `perfmond-${i % 10}`)),
    }),
    valid("unknown-fields", "fields of the plan and of a part it does not name are dropped", {
      ...plan,
      parts: [{ ...part(0, "perfmond-1"), attempt: 1 }],
      note: "x",
    }),
    bad("correlation-id-201", "correlationId one over 200", { correlationId: "c".repeat(201) }),
    bad("correlation-id-missing", "no correlationId", { correlationId: undefined }),
    bad("coordinator-id-missing", "no coordinatorId", { coordinatorId: undefined }),
    bad("coordinator-id-dot", "a dot in coordinatorId", { coordinatorId: "coord.1" }),
    bad("coordinator-id-257", "coordinatorId one over 256", { coordinatorId: "k".repeat(257) }),
    bad("expected-missing", "no expected", { expected: undefined }),
    bad("expected-negative", "expected -1", { expected: -1 }),
    bad("expected-100001", "expected one over 100000", { expected: 100_001 }),
    bad("expected-fraction", "expected 1.5", { expected: 1.5 }),
    bad("parts-missing", "no parts", { parts: undefined }),
    bad("parts-map", "parts as a map", { parts: { 0: part(0, "perfmond-1") } }),
    bad("part-string", "a part that is a string", { parts: ["c-1-0"] }),
    bad("part-task-id-missing", "the first part has no taskId", {
      parts: [{ collectorId: "perfmond-1" }],
    }),
    bad("part-collector-id-space", "the second part's collectorId has a space", {
      parts: [part(0, "perfmond-1"), part(1, "perfmond 2")],
    }),
    bad("part-task-id-257", "a taskId one over 256", {
      parts: [{ taskId: "t".repeat(257), collectorId: "perfmond-1" }],
    }),
    bad("at-missing", "no at", { at: undefined }),
    bad("at-fraction", "at 1.5", { at: 1.5 }),
    invalid("root-nil", "nil", null),
  ];
}

export function durableCases(): VectorCase[] {
  return [...submissionCases(), ...planCases()];
}
