/**
 * The golden vectors of what a collector sends and receives first: CollectorAdvert and Task, with
 * the MessagePack-level cases every receiver must refuse. Result and ErrorReply are in
 * vector-cases-replies.ts, the api and event messages in vector-cases-api.ts. Bounds are written as numbers, not read from the schemas:
 * a vector is a fixed point, so a changed limit shows up as a vector that no longer holds.
 */
import type { MessageName } from "./messages.js";
import { Raw, concat, enc, ext, f64, map, mapWith, raw, u64 } from "./vector-bytes.js";

export type Verdict = "valid" | "invalid";

export interface VectorCase {
  message: MessageName;
  /** kebab-case, unique within the message; the file is `<message>/<verdict>-<name>.msgpack`. */
  name: string;
  verdict: Verdict;
  description: string;
  bytes: Uint8Array;
}

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export function caseMaker(message: MessageName) {
  const make =
    (verdict: Verdict) =>
    (name: string, description: string, value: unknown): VectorCase => ({
      message,
      name,
      verdict,
      description,
      bytes: value instanceof Raw ? value.bytes : value instanceof Uint8Array ? value : enc(value),
    });
  return { valid: make("valid"), invalid: make("invalid") };
}

export const advert = {
  id: "perfmond-1",
  type: "perfmond",
  capabilities: 0x08,
  version: "0.1.0",
  health: "healthy",
  maxConcurrency: 4,
  inFlight: 0,
  labels: {},
  startedAt: 1_700_000_000_000,
  heartbeatSeq: 1,
  heartbeatAt: 1_700_000_000_250,
};

export const result = {
  taskId: "t-1",
  correlationId: "c-1",
  collectorId: "perfmond-1",
  seq: 0,
  final: true,
  status: "ok",
  producedAt: 1_700_000_000_100,
  processingMs: 3,
};

const task = {
  taskId: "t-1",
  correlationId: "c-1",
  requiredCapabilities: 0x08,
  domain: "performance",
  priority: 1,
  createdAt: 1_700_000_000_000,
  deadline: 1_700_000_005_000,
  attempt: 0,
};

const labels = (n: number, key: (i: number) => string, value: string) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [key(i), value]));

function advertCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("CollectorAdvert");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(advert, changes));
  return [
    valid("minimal", "required fields only; weight defaults to 1", advert),
    valid("full", "weight, labels and degraded health", {
      ...advert,
      health: "degraded",
      inFlight: 3,
      weight: 7,
      labels: { zone: "eu-1", host: "db-3" },
    }),
    valid("bounds-max", "every field at its upper bound", {
      id: "i".repeat(256),
      type: "t".repeat(64),
      capabilities: 127,
      version: "v".repeat(64),
      health: "unavailable",
      maxConcurrency: 100_000,
      inFlight: 10_000_000,
      weight: 1000,
      labels: labels(32, (i) => `${String(i).padStart(2, "0")}${"k".repeat(62)}`, "v".repeat(256)),
      startedAt: MAX_SAFE,
      heartbeatSeq: MAX_SAFE,
      heartbeatAt: MAX_SAFE,
    }),
    valid("bounds-min", "every field at its lower bound", {
      ...advert,
      id: "a",
      type: "t",
      capabilities: 0,
      version: "",
      maxConcurrency: 1,
      weight: 1,
      startedAt: 0,
      heartbeatSeq: 0,
      heartbeatAt: 0,
    }),
    valid("id-256-code-points", "lengths count code points: 256 emoji (512 UTF-16 units)", {
      ...advert,
      id: "\u{1F600}".repeat(256),
    }),
    valid("id-next-line", "U+0085 is not whitespace to the token pattern (ECMAScript \\s)", {
      ...advert,
      id: "a\u0085b",
    }),
    valid(
      "float-integral",
      "an integer field sent as float64 4.0",
      mapWith(advert, { maxConcurrency: f64(4) }),
    ),
    valid(
      "negative-zero",
      "float64 -0 in a field with minimum 0",
      mapWith(advert, { startedAt: f64(-0) }),
    ),
    valid("unknown-fields", "fields the schema does not name are dropped", {
      ...advert,
      extra: [1, 2],
      zzz: "x",
    }),
    valid(
      "repeated-key",
      "a key given twice: the last one counts",
      map([...Object.entries(advert), ["id", "perfmond-2"]]),
    ),
    bad("id-missing", "no id", { id: undefined }),
    bad("id-empty", "empty id", { id: "" }),
    bad("id-257", "id one over 256", { id: "i".repeat(257) }),
    bad("id-257-code-points", "257 emoji", { id: "\u{1F600}".repeat(257) }),
    bad("id-dot", "a dot splits a subject token", { id: "perf.1" }),
    bad("id-star", "wildcard in an id", { id: "perf*" }),
    bad("id-gt", "full wildcard in an id", { id: "perf>" }),
    bad("id-space", "space in an id", { id: "perf 1" }),
    bad("id-tab", "tab in an id", { id: "perf\t1" }),
    bad("id-nbsp", "U+00A0 is whitespace", { id: "perf\u00a01" }),
    bad("id-bom", "U+FEFF is whitespace", { id: "\ufeffperf" }),
    bad("id-number", "id of the wrong type", { id: 7 }),
    bad("type-65", "type one over 64", { type: "t".repeat(65) }),
    bad("type-empty", "empty type", { type: "" }),
    bad("version-65", "version one over 64", { version: "v".repeat(65) }),
    bad("capabilities-128", "a capability bit beyond ALL_CAPS (127)", { capabilities: 128 }),
    bad("capabilities-negative", "negative capabilities", { capabilities: -1 }),
    bad("capabilities-fraction", "capabilities 1.5", { capabilities: 1.5 }),
    bad("capabilities-string", "capabilities as a string", { capabilities: "8" }),
    bad("health-unknown", "unknown health value", { health: "sick" }),
    bad("health-case", "enum values are case-sensitive", { health: "Healthy" }),
    bad("max-concurrency-0", "maxConcurrency under 1", { maxConcurrency: 0 }),
    bad("max-concurrency-100001", "maxConcurrency one over 100000", { maxConcurrency: 100_001 }),
    bad("in-flight-10000001", "inFlight one over 10000000", { inFlight: 10_000_001 }),
    bad("weight-0", "weight under 1", { weight: 0 }),
    bad("weight-1001", "weight one over 1000", { weight: 1001 }),
    bad("weight-nil", "nil is not an absent field", { weight: null }),
    bad("labels-33", "33 labels (at most 32)", { labels: labels(33, (i) => `k${i}`, "v") }),
    bad("labels-key-empty", "empty label name", { labels: { "": "v" } }),
    bad("labels-key-65", "label name one over 64", { labels: { ["k".repeat(65)]: "v" } }),
    bad("labels-value-257", "label value one over 256", { labels: { zone: "v".repeat(257) } }),
    bad("labels-value-number", "label value of the wrong type", { labels: { zone: 1 } }),
    bad("labels-array", "labels as an array", { labels: ["zone"] }),
    bad("started-at-2-53", "startedAt 2^53, past the safe integers", { startedAt: 2 ** 53 }),
    bad("started-at-negative", "startedAt -1", { startedAt: -1 }),
    bad("started-at-uint64", "startedAt as uint64 2^63", { startedAt: u64(2n ** 63n) }),
    bad("heartbeat-seq-missing", "no heartbeatSeq", { heartbeatSeq: undefined }),
    ...signingKeyCases(),
  ];
}

/** The public key of RFC 8032's first ed25519 test vector, as an advert carries it. */
const SIGNING_KEY = "ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

function signingKeyCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("CollectorAdvert");
  const bad = (name: string, description: string, signingKey: unknown) =>
    invalid(name, description, mapWith(advert, { signingKey }));
  const key = SIGNING_KEY.slice("ed25519:".length);
  return [
    valid("signing-key", "a collector that signs its results: ed25519 and 32 bytes in base64url", {
      ...advert,
      signingKey: SIGNING_KEY,
    }),
    bad("signing-key-algorithm", "an algorithm other than ed25519", `rsa:${key}`),
    bad("signing-key-no-algorithm", "the key without its algorithm", key),
    bad("signing-key-31-bytes", "a key one byte short", `ed25519:${key.slice(0, 42)}`),
    bad("signing-key-33-bytes", "a key one byte long", `ed25519:${key}AA`),
    bad("signing-key-padded", "base64 padding is not base64url without padding", `${SIGNING_KEY}=`),
    bad("signing-key-base64", "standard base64 characters (+ /)", `ed25519:${key.slice(0, 41)}+/`),
    bad(
      "signing-key-non-canonical",
      "the last character carries bits beyond the 32 bytes",
      `ed25519:${key.slice(0, 42)}p`,
    ),
    bad("signing-key-number", "a key of the wrong type", 7),
    bad("signing-key-nil", "nil is not an absent field", null),
  ];
}

function taskCases(): VectorCase[] {
  const { valid, invalid } = caseMaker("Task");
  const bad = (name: string, description: string, changes: Record<string, unknown>) =>
    invalid(name, description, mapWith(task, changes));
  const payloadWith = (payload: Raw) => mapWith(task, { payload });
  let deep: unknown = "bottom";
  for (let i = 0; i < 64; i++) deep = [deep];
  const oversized = (extra: number) => {
    const base = enc({ ...task, payload: new Uint8Array(0) });
    // A bin32 payload: its header takes 5 bytes where the empty bin8 took 2.
    const n = 1024 * 1024 + extra - (base.length - 2 + 5);
    return { ...task, payload: new Uint8Array(n).fill(0x78) };
  };
  return [
    valid("minimal", "no payload", task),
    valid("full", "a structured payload, critical priority, a later attempt", {
      ...task,
      requiredCapabilities: 0x08 | 0x40,
      priority: 3,
      payload: { stream: 3, delayMs: 10, tags: ["a", "b"], ratio: 0.5, ok: true, none: null },
      attempt: 2,
    }),
    valid("payload-nil", "payload nil is a payload", { ...task, payload: null }),
    valid("payload-binary", "payload bytes (no JSON form)", {
      ...task,
      payload: Uint8Array.of(0, 1, 254, 255),
    }),
    valid(
      "payload-timestamp",
      "payload a msgpack timestamp (ext -1, no JSON form)",
      payloadWith(ext(-1, [0, 0, 0, 1])),
    ),
    valid(
      "payload-ext",
      "payload an application ext type 5 (no JSON form)",
      payloadWith(ext(5, [1, 2, 3, 4])),
    ),
    valid(
      "payload-int-keys",
      "map keys that are numbers become strings",
      payloadWith(
        map([
          [raw(0x01), "one"],
          [raw(0xd0, 0xfe), "minus two"],
        ]),
      ),
    ),
    valid("payload-deep", "a payload nested 64 arrays deep", { ...task, payload: deep }),
    valid(
      "payload-uint64",
      "a uint64 inside a payload is a number",
      payloadWith(map([["n", u64(2n ** 40n)]])),
    ),
    valid("bounds-max", "attempt 1000, all capabilities, deadline 2^53-1", {
      ...task,
      taskId: "t".repeat(256),
      correlationId: "c".repeat(256),
      requiredCapabilities: 127,
      domain: "generic",
      priority: 3,
      createdAt: MAX_SAFE,
      deadline: MAX_SAFE,
      attempt: 1000,
    }),
    valid("bounds-min", "priority 0, no capabilities, times 0", {
      ...task,
      taskId: "t",
      correlationId: "c",
      requiredCapabilities: 0,
      domain: "process",
      priority: 0,
      createdAt: 0,
      deadline: 0,
    }),
    valid("priority-float", "priority 2 sent as float64 2.0", mapWith(task, { priority: f64(2) })),
    valid(
      "size-1mib",
      "exactly 1 MiB (a binary payload), the largest message the codec accepts",
      oversized(0),
    ),
    bad("size-1mib-plus-1", "1 MiB + 1 byte: refused before it is parsed", oversized(1)),
    bad("task-id-missing", "no taskId", { taskId: undefined }),
    bad("task-id-dot", "a dot in taskId", { taskId: "t.1" }),
    bad("task-id-257", "taskId one over 256", { taskId: "t".repeat(257) }),
    bad("correlation-id-space", "a space in correlationId", { correlationId: "c 1" }),
    bad("correlation-id-newline", "a newline in correlationId", { correlationId: "c\n1" }),
    bad("required-capabilities-128", "unknown capability bit", { requiredCapabilities: 128 }),
    bad("domain-unknown", "unknown domain", { domain: "kernel" }),
    bad("priority-4", "priority one over 3", { priority: 4 }),
    bad("priority-negative", "priority -1", { priority: -1 }),
    bad("priority-name", "priority by name", { priority: "high" }),
    bad("priority-fraction", "priority 1.5", { priority: 1.5 }),
    bad("created-at-fraction", "createdAt 1.5", { createdAt: 1.5 }),
    bad("deadline-missing", "no deadline", { deadline: undefined }),
    bad("deadline-nan", "deadline NaN", { deadline: f64(Number.NaN) }),
    bad("deadline-infinity", "deadline +Infinity", { deadline: f64(Number.POSITIVE_INFINITY) }),
    bad("attempt-1001", "attempt one over 1000", { attempt: 1001 }),
    bad("attempt-negative", "attempt -1", { attempt: -1 }),
    bad("attempt-bool", "attempt of the wrong type", { attempt: true }),
    invalid("root-array", "an array, not a map", [task]),
    invalid("root-nil", "nil", null),
    invalid("root-string", "a string", "task"),
    invalid("not-msgpack", "0xc1 is never used in MessagePack", raw(0xc1)),
    invalid("empty", "zero bytes", new Uint8Array(0)),
    invalid("truncated", "a map cut off in the middle", enc(task).subarray(0, 20)),
    invalid(
      "trailing-bytes",
      "a second value after the first",
      concat(enc(task), Uint8Array.of(0xc0)),
    ),
    invalid(
      "key-bool",
      "a map key that is neither string nor number",
      payloadWith(map([[raw(0xc3), 1]])),
    ),
    invalid("key-nil", "a nil map key", payloadWith(map([[raw(0xc0), 1]]))),
    invalid("key-binary", "a binary map key", payloadWith(map([[raw(0xc4, 1, 0x61), 1]]))),
    invalid(
      "key-proto",
      "the key __proto__ is refused anywhere",
      payloadWith(map([["__proto__", { a: 1 }]])),
    ),
    invalid(
      "timestamp-bad-size",
      "ext -1 with 2 data bytes is no timestamp",
      payloadWith(ext(-1, [0, 1])),
    ),
    invalid(
      "array-100001",
      "an array of 100001 items (at most 100000 per array or map)",
      payloadWith(
        new Raw(concat(Uint8Array.of(0xdd, 0, 1, 0x86, 0xa1), new Uint8Array(100_001).fill(0xc0))),
      ),
    ),
  ];
}

export function collectorSideCases(): VectorCase[] {
  return [...advertCases(), ...taskCases()];
}
