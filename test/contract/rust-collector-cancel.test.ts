/**
 * The Rust collector honours cancels and sends progress as the TypeScript collector does
 * (src/collector/control.ts), against a real nats-server: a coordinator's cancel aborts its running
 * task and the submission ends `cancelled`; on the wire a CancelTask answers a running attempt with
 * CANCELLED and drops a queued one unanswered; Mesh-Progress keeps a long attempt alive. Its advert
 * carries the standard labels under the user's.
 */
import { hostname, release } from "node:os";
import { describe, expect, it } from "vitest";
import type { Msg } from "@nats-io/nats-core";
import type { Coordinator } from "../../src/coordinator/index.js";
import { decode, encode } from "../../src/codec.js";
import {
  CancelTask,
  ErrorCode,
  MeshHeaders,
  Result as ResultSchema,
  SourceCaps,
  Subjects,
  Task,
} from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { type TestCoordinatorInit } from "../support/mesh-fixture.js";
import type { RustCollectorOptions } from "./rust.js";
import { useRustMesh } from "./rust-fixture.js";

const PERF = SourceCaps.PERFORMANCE;
let seq = 0;
const mesh = useRustMesh();

const prefix = () => `rk${++seq}_${Date.now().toString(36)}`;

async function rust(o: RustCollectorOptions): Promise<void> {
  await mesh.rust(o);
}

const coordinator = (p: string, extra: TestCoordinatorInit = {}) =>
  mesh.coordinator({ prefix: p, advertTtlMs: 1500, durable: false, ...extra });

/** What the collector's advert says it has running or queued. */
const inFlight = (c: Coordinator, id: string) => c.router.get(id)?.advert.inFlight;

function task(taskId: string, attempt = 0): Task {
  const now = Date.now();
  return {
    taskId,
    correlationId: taskId,
    requiredCapabilities: PERF,
    domain: "performance",
    priority: 1,
    // Ten minutes of work unless cancelled.
    payload: { delayMs: 600_000 },
    createdAt: now,
    deadline: now + 600_000,
    attempt,
  };
}

describe("rust collector - cancels and progress", () => {
  it("rust collector - Coordinator.cancel aborts its running task: the submission ends cancelled and the collector is idle", async () => {
    const p = prefix();
    await rust({ id: "rs-cancel", prefix: p });
    const coord = await coordinator(p);
    await until(() => inFlight(coord, "rs-cancel") === 0, 5000, "routable");
    const pending = coord.submit(
      { requiredCapabilities: PERF, payload: { delayMs: 600_000 } },
      { timeoutMs: 600_000, correlationId: "long-1" },
    );
    await until(() => inFlight(coord, "rs-cancel") === 1, 5000, "running on Rust");
    expect(coord.cancel("long-1", "operator said so")).toBe(1);
    const r = await pending;
    expect(r.status).toBe("cancelled");
    expect(r.error).toMatchObject({ code: ErrorCode.Cancelled });
    // Not only forgotten by the coordinator: the run on the collector stopped.
    await until(() => inFlight(coord, "rs-cancel") === 0, 5000, "the Rust run aborted");
  });

  it("rust collector - an AbortSignal on submit cancels the running task on the Rust collector", async () => {
    const p = prefix();
    await rust({ id: "rs-abort", prefix: p });
    const coord = await coordinator(p);
    await until(() => inFlight(coord, "rs-abort") === 0, 5000, "routable");
    const abort = new AbortController();
    const pending = coord.submit(
      { requiredCapabilities: PERF, payload: { delayMs: 600_000 } },
      { timeoutMs: 600_000, signal: abort.signal },
    );
    await until(() => inFlight(coord, "rs-abort") === 1, 5000, "running on Rust");
    abort.abort();
    expect((await pending).status).toBe("cancelled");
    await until(() => inFlight(coord, "rs-abort") === 0, 5000, "the Rust run aborted");
  });

  it("rust collector - on the wire: progress while running, CANCELLED for the running attempt, the queued one dropped unanswered", async () => {
    const p = prefix();
    const s = new Subjects(p);
    await rust({ id: "rs-wire", prefix: p, maxConcurrency: 1, progressMs: 150 });
    const coord = await coordinator(p);
    await until(() => inFlight(coord, "rs-wire") === 0, 5000, "advertised");
    const got: Msg[] = [];
    const inbox = mesh.nc.subscribe(`_cancel.${p}.>`, {
      callback: (_e, m) => {
        got.push(m);
      },
    });
    mesh.cleanup(() => Promise.resolve(inbox.unsubscribe()));
    const send = (t: Task) =>
      mesh.nc.publish(s.collectorTask("rs-wire"), encode(Task, t), {
        reply: `_cancel.${p}.${t.taskId}`,
      });
    const cancel = (c: CancelTask) =>
      mesh.nc.publish(s.collectorCancel("rs-wire"), encode(CancelTask, c));
    send(task("run-1"));
    send(task("queued-2"));
    await until(() => inFlight(coord, "rs-wire") === 2, 5000, "one running, one queued");
    const progress = () =>
      got.filter((m) => m.data.length === 0 && m.headers?.get(MeshHeaders.Progress) === "1");
    await until(() => progress().length >= 2, 5000, "progress of the running task");
    expect(progress().every((m) => m.subject === `_cancel.${p}.run-1`)).toBe(true);
    // Not a CancelTask, another attempt, another task: nothing changes.
    mesh.nc.publish(s.collectorCancel("rs-wire"), Uint8Array.of(0xc1));
    cancel({ taskId: "run-1", attempt: 1, reason: "not this attempt" });
    cancel({ taskId: "nobody", reason: "unknown task" });
    cancel({ taskId: "queued-2", reason: "no longer wanted" });
    await until(() => inFlight(coord, "rs-wire") === 1, 5000, "the queued one dropped");
    cancel({ taskId: "run-1", attempt: 0, reason: "operator said so" });
    const results = () => got.filter((m) => m.data.length > 0);
    await until(() => results().length === 1, 5000, "the running one answered");
    const r = decode(ResultSchema, results()[0]!.data);
    expect(r).toMatchObject({ taskId: "run-1", status: "error", final: true, attempt: 0 });
    expect(r.error).toEqual({
      code: ErrorCode.Cancelled,
      message: "task run-1 cancelled: operator said so",
    });
    // The queued task never ran: the collector is idle and no answer came for it.
    await until(() => inFlight(coord, "rs-wire") === 0, 5000, "idle");
    expect(got.filter((m) => m.subject.endsWith("queued-2"))).toEqual([]);
  });

  it("rust collector - progress keeps a long task's attempt alive: it completes on its first attempt", async () => {
    const p = prefix();
    await rust({ id: "rs-slow", prefix: p, progressMs: 200 });
    const coord = await coordinator(p, { attemptTimeoutMs: 800 });
    await until(() => inFlight(coord, "rs-slow") === 0, 5000, "routable");
    const r = await coord.submit(
      { requiredCapabilities: PERF, payload: { delayMs: 2500 } },
      { timeoutMs: 10_000 },
    );
    expect(r.status).toBe("complete");
    expect(r.results[0]).toMatchObject({ collectorId: "rs-slow", status: "ok", attempt: 0 });
    expect(coord.stats().coordinator).toMatchObject({ attemptTimeouts: 0, resent: 0 });
  });
});

describe("rust collector - standard labels", () => {
  it("rust collector - its advert carries host, os, kernel, type, version and zone; a label the user sets wins", async () => {
    const p = prefix();
    await rust({ id: "rs-flag", prefix: p, zone: "eu-1", env: { MESH_ZONE: "ignored" } });
    await rust({
      id: "rs-env",
      prefix: p,
      env: { MESH_ZONE: "us-2" },
      labels: { host: "custom", role: "db" },
    });
    await rust({ id: "rs-none", prefix: p, env: { MESH_ZONE: "" } });
    const coord = await coordinator(p);
    await until(
      () => ["rs-flag", "rs-env", "rs-none"].every((id) => coord.router.get(id)),
      5000,
      "all advertised",
    );
    const labels = (id: string) => coord.router.get(id)?.advert.labels;
    const standard = {
      host: hostname(),
      os: process.platform,
      kernel: release(),
      type: "perfmond-rs",
      version: "0.1.0",
    };
    expect(labels("rs-flag")).toEqual({ ...standard, zone: "eu-1" });
    expect(labels("rs-env")).toEqual({ ...standard, zone: "us-2", host: "custom", role: "db" });
    expect(labels("rs-none")).toEqual(standard);
  });
});
