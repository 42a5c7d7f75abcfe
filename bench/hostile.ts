/**
 * What one hostile message costs the receiver: `decode(Task, bytes)` (the codec every inbound
 * path uses) on deep, wide, huge-string and wrong-type messages of up to 1 MB, beside a valid
 * task. Each case runs until it has spent about `--ms` milliseconds (default 400) or 2,000
 * iterations; the figure is the median per message.
 *   npx tsx bench/hostile.ts [--ms 400] [--json]
 * prints a table, or one JSON object with --json.
 */
import { pathToFileURL } from "node:url";
import { encode as mpEncode } from "@msgpack/msgpack";
import { decode } from "../src/codec.js";
import { InvalidMessageError } from "../src/errors.js";
import { MAX_MESSAGE_BYTES, Task } from "../subjects/index.js";

export interface HostileCase {
  name: string;
  bytes: number;
  outcome: "accepted" | "rejected";
  /** Where the codec stopped it: `<depth>`, `<elements>`, `<msgpack>`, `<size>` or a field. */
  stage: string;
  median_us: number;
  p99_us: number;
  runs: number;
}

/** A valid Task without a payload: what the hostile messages are built around. */
export const validTask = {
  taskId: "t-1",
  correlationId: "c-1",
  requiredCapabilities: 1,
  domain: "process",
  priority: 1,
  createdAt: 1_700_000_000_000,
  deadline: 1_700_000_005_000,
  attempt: 0,
};

const head = mpEncode({ ...validTask, payload: null });
/**
 * Where taskWithPayload's payload starts: the encoder writes keys in insertion order, so
 * `payload: null` is last and its value is the final byte (0xc0).
 */
export const PAYLOAD_AT = head.length - 1;

/** validTask's map whose `payload` value is the given msgpack bytes (from PAYLOAD_AT on). */
export function taskWithPayload(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(PAYLOAD_AT + payload.length);
  out.set(head.subarray(0, PAYLOAD_AT));
  out.set(payload, PAYLOAD_AT);
  return out;
}

/** `n` nested one-element arrays around nil. */
export function deepArrays(n: number): Uint8Array {
  const b = new Uint8Array(n + 1).fill(0x91);
  b[n] = 0xc0;
  return b;
}

/** `n` nested one-entry maps {"": …} around nil. */
export function deepMaps(n: number): Uint8Array {
  const b = new Uint8Array(2 * n + 1);
  for (let i = 0; i < n; i++) {
    b[2 * i] = 0x81;
    b[2 * i + 1] = 0xa0;
  }
  b[2 * n] = 0xc0;
  return b;
}

/** An array32 of `n` empty maps: one object per byte. */
function wideMaps(n: number): Uint8Array {
  const b = new Uint8Array(5 + n).fill(0x80);
  b.set([0xdd, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  return b;
}

/** `groups` arrays of `per` empty maps, in one array. */
function wideNested(groups: number, per: number): Uint8Array {
  const inner = wideMaps(per);
  const b = new Uint8Array(3 + groups * inner.length);
  b.set([0xdc, (groups >>> 8) & 0xff, groups & 0xff]);
  for (let g = 0; g < groups; g++) b.set(inner, 3 + g * inner.length);
  return b;
}

export function hostileCases(): { name: string; bytes: Uint8Array }[] {
  const budget = MAX_MESSAGE_BYTES - 200;
  return [
    {
      name: "valid task",
      bytes: mpEncode({ ...validTask, payload: { pid: 42, names: ["sshd"] } }),
    },
    { name: "deep: 100,000 nested arrays in payload", bytes: taskWithPayload(deepArrays(100_000)) },
    { name: "deep: 1 MB of nested arrays in payload", bytes: taskWithPayload(deepArrays(budget)) },
    { name: "deep: 500,000 nested maps in payload", bytes: taskWithPayload(deepMaps(500_000)) },
    { name: "deep: 100,000 nested arrays, top level", bytes: deepArrays(100_000) },
    { name: "wide: 100,000 empty maps in payload", bytes: taskWithPayload(wideMaps(100_000)) },
    { name: "wide: 10 x 100,000 empty maps", bytes: taskWithPayload(wideNested(10, 100_000)) },
    {
      name: "huge string: 1 MB taskId",
      bytes: mpEncode({ ...validTask, taskId: "x".repeat(budget) }),
    },
    {
      name: "huge string: 1 MB payload",
      bytes: mpEncode({ ...validTask, payload: "x".repeat(budget) }),
    },
    { name: "wrong type: 1 MB string at top level", bytes: mpEncode("x".repeat(budget)) },
    {
      name: "wrong type: array of 100,000 ints",
      bytes: mpEncode(Array.from({ length: 100_000 }, (_, i) => i)),
    },
    {
      name: "wrong type: priority as a string",
      bytes: mpEncode({ ...validTask, priority: "high" }),
    },
  ];
}

function measure(bytes: Uint8Array, budgetMs: number): Omit<HostileCase, "name" | "bytes"> {
  let outcome: HostileCase["outcome"] = "accepted";
  let stage = "";
  const once = (): number => {
    const t0 = process.hrtime.bigint();
    try {
      decode(Task, bytes, { subject: "bench" });
      outcome = "accepted";
    } catch (err) {
      if (!(err instanceof InvalidMessageError)) throw err;
      outcome = "rejected";
      stage = err.paths[0] ?? "";
    }
    return Number(process.hrtime.bigint() - t0) / 1000;
  };
  for (let i = 0; i < 3; i++) once();
  const samples: number[] = [];
  const end = Date.now() + budgetMs;
  while (samples.length < 2000 && (Date.now() < end || samples.length < 5)) samples.push(once());
  samples.sort((a, b) => a - b);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  const round = (us: number) => Math.round(us * 10) / 10;
  return {
    outcome,
    stage,
    median_us: round(at(0.5)),
    p99_us: round(at(0.99)),
    runs: samples.length,
  };
}

export function benchHostile(budgetMs = 400): HostileCase[] {
  return hostileCases().map(({ name, bytes }) => ({
    name,
    bytes: bytes.length,
    ...measure(bytes, budgetMs),
  }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--ms");
  const ms = i >= 0 ? Number(args[i + 1]) : 400;
  const rows = benchHostile(ms);
  if (args.includes("--json")) {
    console.log(JSON.stringify({ node: process.version, cases: rows }));
  } else {
    console.log("case | bytes | outcome | stage | median µs | p99 µs | runs");
    for (const r of rows) {
      console.log(
        `${r.name} | ${r.bytes} | ${r.outcome} | ${r.stage} | ${r.median_us} | ${r.p99_us} | ${r.runs}`,
      );
    }
  }
}
