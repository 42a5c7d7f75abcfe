/**
 * Golden vectors of targeting: the label selectors `where` and `prefer` and the named
 * `collectors` of SubmitRequest and DurableSubmission (selector.ts: the grammar, at most 1024
 * UTF-16 units and 32 terms), and the `instances` of a fan-out's AggregatedResult.
 */
import { caseMaker, result, type VectorCase } from "./vector-cases.js";
import { mapWith } from "./vector-bytes.js";

const submit = { requiredCapabilities: 0x08 };

const submission = {
  correlationId: "c-1",
  owner: "client-1",
  requiredCapabilities: 0x08,
  priority: 1,
  mode: "all",
  timeoutMs: 5000,
  submittedAt: 1_700_000_000_000,
  deadline: 1_700_000_005_000,
};

const terms = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(",");
const ids = (n: number) => Array.from({ length: n }, (_, i) => `c-${i}`);

function submitTargetingCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("SubmitRequest");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(submit, changes));
  const ok = (name: string, description: string, changes: Record<string, unknown>) =>
    valid(name, description, { ...submit, ...changes });
  return [
    ok("where", "a selector of two terms", { where: "zone=eu,role!=db" }),
    ok("where-globs", "every operator, globs and spaces around terms", {
      where: " host~web-* , kernel!~5.* ,zone = eu-1 ,id!=perf.1 ",
    }),
    ok("where-value-operators", "a value may hold = ! ~ past its first character", {
      where: "note=a=b!~c,x~*?",
    }),
    ok("where-empty-value", "an empty value: the label is absent or empty", { where: "role=" }),
    ok("where-32-terms", "32 terms, the most", { where: terms(32) }),
    ok("where-1024", "1024 characters, the longest", { where: `k=${"v".repeat(1022)}` }),
    ok("where-1024-utf16-units", "511 emoji in the value: 1024 UTF-16 units", {
      where: `k=${"\u{1F600}".repeat(511)}`,
    }),
    ok("targeting-full", "where, collectors and prefer together", {
      mode: "all",
      where: "zone=eu",
      collectors: ["perfmond-1", "perfmond-2"],
      prefer: "rack=r1",
    }),
    ok("collectors-one", "one named instance", { collectors: ["perfmond-1"] }),
    ok("collectors-10000", "10000 named instances, the most", { collectors: ids(10_000) }),
    ok("prefer", "a soft preference", { prefer: "zone~eu-*" }),
    bad("where-empty", "an empty selector", { where: "" }),
    bad("where-blank", "a selector of spaces: an empty term", { where: "  " }),
    bad("where-trailing-comma", "an empty term after the last comma", { where: "zone=eu," }),
    bad("where-no-operator", "a term without an operator", { where: "zone" }),
    bad("where-bang-only", "! alone is no operator", { where: "zone!eu" }),
    bad("where-empty-key", "no label name", { where: "=eu" }),
    bad("where-key-space", "a space inside the label name", { where: "my zone=eu" }),
    bad("where-key-unicode", "a label name outside [A-Za-z0-9_.-]", { where: "zoné=eu" }),
    bad("where-double-equals", "a second operator", { where: "zone==eu" }),
    bad("where-second-operator-spaced", "a second operator after spaces", { where: "zone= ~eu" }),
    bad("where-newline-in-value", "a line break inside a value", { where: "zone=e\nu" }),
    bad("where-33-terms", "one term over 32", { where: terms(33) }),
    bad("where-1025", "one character over 1024", { where: `k=${"v".repeat(1023)}` }),
    bad("where-1025-utf16-units", "512 emoji: 514 characters but 1026 UTF-16 units", {
      where: `k=${"\u{1F600}".repeat(512)}`,
    }),
    bad("where-number", "where of the wrong type", { where: 1 }),
    bad("where-nil", "nil is not an absent where", { where: null }),
    bad("prefer-malformed", "prefer is a selector too", { prefer: "rack" }),
    bad("collectors-empty", "an empty list names nobody", { collectors: [] }),
    bad("collectors-10001", "one id over 10000", { collectors: ids(10_001) }),
    bad("collectors-id-dot", "the second id is not a token", { collectors: ["a", "b.c"] }),
    bad("collectors-id-empty", "an empty id", { collectors: [""] }),
    bad("collectors-string", "one id, not a list", { collectors: "perfmond-1" }),
    bad("collectors-nil", "nil is not absent collectors", { collectors: null }),
  ];
}

function durableTargetingCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("DurableSubmission");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(submission, changes));
  return [
    valid("targeting-full", "where, collectors and prefer kept with the submission", {
      ...submission,
      where: "zone=eu,role!=db",
      collectors: ["perfmond-1"],
      prefer: "host~web-*",
    }),
    bad("where-malformed", "a term without an operator", { where: "zone" }),
    bad("where-33-terms", "one term over 32", { where: terms(33) }),
    bad("prefer-empty", "an empty preference", { prefer: "" }),
    bad("collectors-empty", "an empty list", { collectors: [] }),
    bad("collectors-10001", "one id over 10000", { collectors: ids(10_001) }),
    bad("collectors-id-star", "a wildcard id", { collectors: ["perf*"] }),
  ];
}

function instancesCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("AggregatedResult");
  const agg = {
    correlationId: "c-1",
    status: "partial",
    results: [result],
    expected: 2,
    received: 1,
    duplicates: 0,
    startedAt: 1_700_000_000_000,
    completedAt: 1_700_000_000_120,
  };
  const bad = (name: string, description: string, instances: unknown) =>
    invalid(name, description, mapWith(agg, { instances }));
  const states = ["ok", "error", "timed_out", "lost", "not_reached", "cancelled"];
  return [
    valid("instances-every-state", "one instance in each state, codes where known", {
      ...agg,
      expected: 6,
      instances: states.map((state, i) => ({
        collectorId: `perfmond-${i}`,
        state,
        ...(state === "error" ? { code: "HANDLER_ERROR" } : {}),
        ...(state === "lost" ? { code: "COLLECTOR_LOST" } : {}),
        ...(state === "cancelled" ? { code: "CANCELLED" } : {}),
      })),
    }),
    valid("instances-empty", "a fan-out that targeted nobody", {
      ...agg,
      status: "complete",
      results: [],
      expected: 0,
      received: 0,
      instances: [],
    }),
    valid("instances-unknown-fields", "fields of an outcome it does not name are dropped", {
      ...agg,
      instances: [{ collectorId: "perfmond-1", state: "ok", ms: 3 }],
    }),
    bad("instances-state-unknown", "state done", [{ collectorId: "perfmond-1", state: "done" }]),
    bad("instances-state-canceled", "the American spelling", [
      { collectorId: "perfmond-1", state: "canceled" },
    ]),
    bad("instances-state-missing", "no state", [{ collectorId: "perfmond-1" }]),
    bad("instances-code-unknown", "a code that is no ErrorCode", [
      { collectorId: "perfmond-1", state: "error", code: "BOOM" },
    ]),
    bad("instances-collector-id-dot", "the second outcome's id is not a token", [
      { collectorId: "perfmond-1", state: "ok" },
      { collectorId: "perf.2", state: "lost" },
    ]),
    bad("instances-map", "instances as a map", { 0: { collectorId: "perfmond-1", state: "ok" } }),
    bad("instances-nil", "nil is not absent instances", null),
  ];
}

export function targetingCases(): VectorCase[] {
  return [...submitTargetingCases(), ...durableTargetingCases(), ...instancesCases()];
}
