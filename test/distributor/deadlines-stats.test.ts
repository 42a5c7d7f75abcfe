/** The distributor past deadlines and over its queue limit, and its statistics. */
import { describe, expect, it } from "vitest";
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import { OverloadedError } from "../../src/errors.js";
import { TaskPriority, type Task } from "../../subjects/index.js";
import { N, P, setup } from "./setup.js";

describe("distributor - deadlines and overload", () => {
  it("distributor - sweep removes queued tasks past their deadline with a TIMEOUT outcome", () => {
    const { clock, d, task } = setup();
    const short = task(TaskPriority.High, P, { timeoutMs: 100 });
    const mid = task(TaskPriority.Low, N, { timeoutMs: 200 });
    const long = task(TaskPriority.Low, P, { timeoutMs: 5000 });
    for (const t of [long, mid, short]) d.enqueue(t);
    expect(d.sweep()).toEqual([]);
    clock.advance(100);
    expect(d.sweep()).toEqual([short]);
    clock.advance(150);
    expect(d.sweep()).toEqual([mid]);
    expect(d.size()).toBe(1);
    expect(d.has(long.taskId)).toBe(true);
    const s = d.stats();
    expect(s.timedOut).toBe(2);
    expect(s.perPriority.high.timedOut).toBe(1);
    expect(s.perPriority.low.timedOut).toBe(1);
    expect(s.perPriority.low.pending).toBe(1);
  });

  it("distributor - overload: 10,000 enqueues beyond maxQueued throw OverloadedError, memory stays flat", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const maxQueued = 1000;
    const { d, task } = setup({ maxQueued });
    for (let i = 0; i < maxQueued; i++) d.enqueue(task(TaskPriority.Normal));
    const extra = Array.from({ length: 10_000 }, () => task(TaskPriority.Critical));
    gc();
    const before = process.memoryUsage().heapUsed;
    let refused = 0;
    for (const t of extra) {
      try {
        d.enqueue(t);
      } catch (err) {
        expect(err).toBeInstanceOf(OverloadedError);
        expect((err as OverloadedError).code).toBe("OVERLOADED");
        refused++;
      }
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(refused).toBe(10_000);
    expect(d.size()).toBe(maxQueued);
    expect(d.has(extra[0]!.taskId)).toBe(false);
    expect(d.stats().rejected).toBe(10_000);
    // Queuing 10,000 tasks would hold megabytes; refusing them keeps nothing.
    expect(grown).toBeLessThan(1024 * 1024);
  });
});

describe("distributor - stats", () => {
  it("distributor - stats count outcomes per priority, queue wait p50/p99 and latency", () => {
    const { clock, d, task } = setup();
    const high = Array.from({ length: 50 }, () => task(TaskPriority.High));
    const low = Array.from({ length: 50 }, () => task(TaskPriority.Low));
    for (const t of [...high, ...low]) d.enqueue(t);
    // Recorded inside `place` (the task is still queued), one per ms: waits 1..50 ms.
    d.dispatchReady((t) => {
      if (t.priority !== TaskPriority.High) return false;
      clock.advance(1);
      d.recordDispatched(t);
      return true;
    });
    // Recorded after the walk returned: 60 ms each.
    const later: Task[] = [];
    d.dispatchReady((t) => (later.push(t), true));
    clock.advance(10);
    for (const t of later) d.recordDispatched(t);
    for (const t of high.slice(0, 40)) d.recordDelivered(t);
    for (const t of high.slice(40, 45)) d.recordFailed(t);
    for (const t of high.slice(45)) d.recordTimedOut(t);
    const s = d.stats();
    expect(s).toMatchObject({
      distributed: 100,
      pending: 0,
      delivered: 40,
      failed: 5,
      timedOut: 5,
      rejected: 0,
    });
    expect(s.perPriority.high).toEqual({
      pending: 0,
      distributed: 50,
      delivered: 40,
      failed: 5,
      timedOut: 5,
    });
    expect(s.perPriority.low.distributed).toBe(50);
    expect(s.perPriority.critical.distributed).toBe(0);
    expect(s.queueWaitP50Ms).toBe(50);
    expect(s.queueWaitP99Ms).toBe(60);
    expect(s.avgDistributionLatencyMs).toBeCloseTo((1275 + 50 * 60) / 100);
    // A task sent without queuing waited since its creation.
    const direct = task(TaskPriority.Normal);
    clock.advance(5);
    d.recordDispatched(direct);
    expect(d.stats().perPriority.normal.distributed).toBe(1);
  });

  it("distributor - queue wait percentiles cover a bounded recent window", () => {
    const { clock, d, task } = setup({ latencySamples: 16 });
    for (let i = 0; i < 1000; i++) {
      const t = task(TaskPriority.Normal);
      d.enqueue(t);
      clock.advance(i < 984 ? 1000 : 2);
      d.recordDispatched(d.nextTask()!);
    }
    const s = d.stats();
    expect(s.queueWaitP50Ms).toBe(2);
    expect(s.queueWaitP99Ms).toBe(2);
    expect(s.distributed).toBe(1000);
  });
});
