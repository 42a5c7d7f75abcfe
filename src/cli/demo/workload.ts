import { mkdirSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  SourceCaps,
  TaskPriority,
  type Subjects,
  type SubmitRequest,
} from "../../../subjects/index.js";
import { submitTask } from "../run/submit.js";
import { MeshClient } from "../../client/mesh-client.js";
import { describeError } from "../errors.js";

export type TaskKind = "process" | "socket" | "file";

/** What one demo task asks for. */
export interface DemoTask {
  index: number;
  kind: TaskKind;
  request: SubmitRequest;
}

/** How one demo task ended. */
export interface TaskOutcome {
  task: DemoTask;
  /** Every result ok and the aggregation complete. */
  ok: boolean;
  latencyMs: number;
  /** Collectors that produced the results. */
  collectorIds: string[];
  /** Why it is not ok. */
  error: string | undefined;
}

/** Kinds in a repeating cycle of ten: six process listings, two socket listings, two file stats. */
const KIND_CYCLE: readonly TaskKind[] = [
  "process",
  "socket",
  "process",
  "file",
  "process",
  "process",
  "socket",
  "process",
  "file",
  "process",
];
/** Priorities in a cycle of seven, so that they shift against the kinds. */
const PRIORITY_CYCLE: readonly TaskPriority[] = [
  TaskPriority.Normal,
  TaskPriority.High,
  TaskPriority.Low,
  TaskPriority.Critical,
  TaskPriority.Normal,
  TaskPriority.High,
  TaskPriority.Normal,
];

/** Files for fsmond to stat and hash, in `root` (which must be one of fsmond's roots). */
export function createDemoFiles(root: string, count = 16): string[] {
  mkdirSync(path.join(root, "logs"), { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const f = path.join(root, "logs", `service-${String(i).padStart(2, "0")}.log`);
    writeFileSync(f, randomBytes(1024 * (1 + (i % 8))).toString("base64"));
    files.push(f);
  }
  return files;
}

export interface WorkloadContext {
  /** Pids worth asking procmond about (the demo's own processes). */
  pids: () => number[];
  /** The NATS port, for socket filters. */
  natsPort: number | undefined;
  /** fsmond's root and files in it. */
  fsRoot: string;
  files: readonly string[];
  timeoutMs: number;
}

/** The i-th task of the demo workload: real work for each collector type, mixed priorities. */
export function demoTask(index: number, ctx: WorkloadContext): DemoTask {
  const kind = KIND_CYCLE[index % KIND_CYCLE.length] ?? "process";
  const priority = PRIORITY_CYCLE[index % PRIORITY_CYCLE.length] ?? TaskPriority.Normal;
  let caps: number;
  let payload: unknown;
  switch (kind) {
    case "process": {
      caps = SourceCaps.PROCESS;
      const pids = ctx.pids();
      // Alternate a full scan filtered by name with a lookup of a few known pids.
      payload = index % 4 === 0 || pids.length === 0 ? { name: "node" } : { pids };
      break;
    }
    case "socket":
      caps = SourceCaps.NETWORK;
      payload =
        index % 3 === 0 || ctx.natsPort === undefined
          ? { protocol: "tcp", states: ["LISTEN"], resolvePids: false }
          : { localPort: ctx.natsPort };
      break;
    case "file": {
      caps = SourceCaps.FILESYSTEM;
      const file = ctx.files[index % Math.max(1, ctx.files.length)];
      payload =
        index % 5 === 0 || file === undefined
          ? { paths: [ctx.fsRoot], depth: 2, hash: false }
          : { paths: [file] };
      break;
    }
  }
  return {
    index,
    kind,
    request: {
      requiredCapabilities: caps,
      priority,
      payload,
      mode: "one",
      timeoutMs: ctx.timeoutMs,
    },
  };
}

export interface RunOptions {
  nc: NatsConnection;
  subjects: Subjects;
  total: number;
  concurrency: number;
  context: WorkloadContext;
  signal: AbortSignal;
  /** After each task. */
  onOutcome: (o: TaskOutcome, inFlight: number) => void;
}

/**
 * Runs `total` tasks, at most `concurrency` at once: durably when the mesh has its streams, else
 * through `<p>.api.submit`.
 */
export async function runWorkload(opts: RunOptions): Promise<TaskOutcome[]> {
  const client = new MeshClient(opts.nc, { prefix: opts.subjects.prefix, owner: "demo" });
  try {
    return await runWith(client, opts);
  } finally {
    await client.close();
  }
}

async function runWith(client: MeshClient, opts: RunOptions): Promise<TaskOutcome[]> {
  const outcomes: TaskOutcome[] = [];
  let next = 0;
  let inFlight = 0;
  const worker = async () => {
    while (next < opts.total && !opts.signal.aborted) {
      const task = demoTask(next++, opts.context);
      inFlight++;
      const o = await runTask(client, opts.subjects, task);
      inFlight--;
      outcomes.push(o);
      opts.onOutcome(o, inFlight);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.total) }, worker));
  return outcomes;
}

async function runTask(
  client: MeshClient,
  subjects: Subjects,
  task: DemoTask,
): Promise<TaskOutcome> {
  const t0 = performance.now();
  try {
    const r = await submitTask(client, task.request, undefined, subjects.prefix);
    const bad = r.results.find((x) => x.status !== "ok");
    const ok = r.status === "complete" && r.results.length > 0 && bad === undefined;
    return {
      task,
      ok,
      latencyMs: performance.now() - t0,
      collectorIds: r.results.map((x) => x.collectorId),
      error: ok
        ? undefined
        : (r.error?.message ??
          (bad?.error ? `${bad.error.code}: ${bad.error.message}` : `aggregation ${r.status}`)),
    };
  } catch (err) {
    return {
      task,
      ok: false,
      latencyMs: performance.now() - t0,
      collectorIds: [],
      error: describeError(err),
    };
  }
}
