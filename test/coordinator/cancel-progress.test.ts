/**
 * Long tasks and cancels against a real nats-server: a running handler's progress keeps its attempt
 * alive; an attempt abandoned for another is cancelled on its instance; a submission cancelled by
 * its submitter (an AbortSignal, or a cancel on its subject) drops its queued parts, aborts the
 * running ones and ends `cancelled`.
 */
import { describe, expect, it } from "vitest";
import type { TaskHandler } from "../../src/collector/index.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { ErrorCode, SourceCaps } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { recordEvents, useMesh, type TestCoordinatorInit } from "../support/mesh-fixture.js";

const PROC = SourceCaps.PROCESS;
let seq = 0;
const mesh = useMesh();

const prefix = () => `cp${++seq}`;

const collector = (p: string, id: string, handler: TaskHandler, extra = {}) =>
  mesh.collector({ id, prefix: p, handler, drainGraceMs: 100, ...extra });

async function coordinator(p: string, opts: TestCoordinatorInit = {}) {
  const c = await mesh.coordinator({ name: "coord", prefix: p, ...opts });
  return { c, events: recordEvents(c) };
}

/** A handler that runs until its signal aborts, and says why it stopped. */
function untilAborted(seen: unknown[]): TaskHandler {
  return (_payload, ctx) =>
    new Promise((_resolve, reject) => {
      ctx.signal.addEventListener("abort", () => {
        seen.push(ctx.signal.reason);
        reject(ctx.signal.reason as Error);
      });
    });
}

describe("coordinator - long tasks and cancels", () => {
  it("coordinator - a long task's progress keeps its attempt alive: it completes on its first attempt", async () => {
    const p = prefix();
    await collector(
      p,
      "slow",
      async () => {
        await new Promise((r) => setTimeout(r, 2500));
        return "done";
      },
      { progressMs: 200 },
    );
    const { c } = await coordinator(p, { attemptTimeoutMs: 800 });
    await until(() => c.router.get("slow"), 5000, "routable");
    const r = await c.submit({ requiredCapabilities: PROC }, { timeoutMs: 10_000 });
    expect(r.status).toBe("complete");
    expect(r.results[0]).toMatchObject({ payload: "done", attempt: 0 });
    expect(c.stats().coordinator).toMatchObject({ attemptTimeouts: 0, resent: 0 });
  });

  it("coordinator - an attempt abandoned for another is cancelled on its instance, and the re-send is told", async () => {
    const p = prefix();
    const seen: unknown[] = [];
    // No progress from "stuck" within the attempt timeout.
    await collector(p, "stuck", untilAborted(seen), { progressMs: 60_000 });
    await collector(p, "quick", () => "quick", {});
    const { c, events } = await coordinator(p, { attemptTimeoutMs: 600 });
    await until(() => c.router.get("stuck") && c.router.get("quick"), 5000, "both routable");
    // Sent to "stuck" first; the re-send passes over it for "quick", routable all along.
    const pending = c.submit(
      { requiredCapabilities: PROC },
      { timeoutMs: 10_000, prefer: "id=stuck" },
    );
    const r = await pending;
    expect(r.status).toBe("complete");
    expect(r.results[0]).toMatchObject({ collectorId: "quick", payload: "quick", attempt: 1 });
    await until(() => seen.length === 1, 3000, "stuck's run aborted");
    expect(seen[0]).toMatchObject({ code: ErrorCode.Cancelled });
    const resends = events.flatMap((e) => (e.kind === "resend" ? [e] : []));
    expect(resends).toMatchObject([{ from: "stuck", attempt: 0, reason: "attempt timeout" }]);
  });

  it("coordinator - an aborted submit ends cancelled: queued parts dropped, running ones aborted", async () => {
    const p = prefix();
    const seen: unknown[] = [];
    const runs: number[] = [];
    await collector(
      p,
      "one-at-a-time",
      (payload, ctx) => {
        runs.push(payload as number);
        return untilAborted(seen)(payload, ctx);
      },
      { maxConcurrency: 1 },
    );
    const { c } = await coordinator(p, { durable: false });
    await until(() => c.router.get("one-at-a-time"), 5000, "routable");
    const abort = new AbortController();
    const first = c.submit(
      { requiredCapabilities: PROC, payload: 1 },
      { timeoutMs: 10_000, signal: abort.signal },
    );
    const second = c.submit(
      { requiredCapabilities: PROC, payload: 2 },
      { timeoutMs: 10_000, signal: abort.signal },
    );
    await until(() => runs.length === 1 && c.distributor.size() === 1, 3000, "one runs, one waits");
    abort.abort();
    const [r1, r2] = await Promise.all([first, second]);
    expect([r1.status, r2.status]).toEqual(["cancelled", "cancelled"]);
    expect(r1.error).toMatchObject({ code: ErrorCode.Cancelled });
    await until(() => seen.length === 1, 3000, "the running one aborted");
    expect(runs).toEqual([1]);
    expect(c.distributor.size()).toBe(0);
    expect(c.stats().coordinator).toMatchObject({ tasks: 0, inFlight: 0 });
  });

  it("coordinator - a durable submission cancelled on its subject ends cancelled, and the verdict is stored", async () => {
    const p = prefix();
    const seen: unknown[] = [];
    await collector(p, "w", untilAborted(seen));
    const { c } = await coordinator(p);
    await until(() => c.router.get("w"), 5000, "routable");
    const client = new MeshClient(await mesh.connect("sub"), { prefix: p, owner: "ops" });
    mesh.cleanup(() => client.close());
    const pending = client.submit(
      { requiredCapabilities: PROC },
      { timeoutMs: 30_000, correlationId: "job-x" },
    );
    await until(() => c.stats().coordinator.inFlight === 1, 5000, "running");
    // Another owner's cancel is not this submission's.
    expect(
      await client.cancel("job-x", "nope", { owner: "intruder", timeoutMs: 500 }),
    ).toBeUndefined();
    const reply = await client.cancel("job-x", "operator said so");
    expect(reply).toMatchObject({ correlationId: "job-x", coordinatorId: c.id, cancelledParts: 1 });
    const r = await pending;
    expect(r.status).toBe("cancelled");
    expect(r.error?.message).toMatch(/operator said so/);
    await until(() => seen.length === 1, 3000, "aborted on w");
    const stored = await client.results("job-x");
    expect(stored.verdict).toMatchObject({ status: "cancelled" });
  });
});
