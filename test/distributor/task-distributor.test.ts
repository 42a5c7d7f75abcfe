import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { InvalidArgumentError, InvalidSubjectTokenError } from "../../src/errors.js";
import {
  DEFAULT_MAX_QUEUED,
  TaskDistributor,
  parseDistributorOptions,
  type CollectionEvent,
} from "../../src/distributor/index.js";
import { isToken, SourceCaps, TaskPriority, type Task } from "../../subjects/index.js";
import { F, N, P, setup } from "./setup.js";

describe("distributor - tasks", () => {
  it("distributor - createTask fills ids, domain, deadline and attempt 0", () => {
    const clock = new ManualClock(5000);
    const d = new TaskDistributor({ defaultTimeoutMs: 2000 }, { clock });
    const t = d.createTask({ requiredCapabilities: N | SourceCaps.REALTIME, payload: { x: 1 } });
    expect(t).toMatchObject({
      requiredCapabilities: N | SourceCaps.REALTIME,
      domain: "network",
      priority: TaskPriority.Normal,
      payload: { x: 1 },
      createdAt: 5000,
      deadline: 7000,
      attempt: 0,
    });
    expect(isToken(t.taskId) && isToken(t.correlationId)).toBe(true);
    expect(t.taskId).not.toBe(t.correlationId);
    const ids = new Set(
      Array.from(
        { length: 1000 },
        () => d.createTask({ requiredCapabilities: 0, payload: 0 }).taskId,
      ),
    );
    expect(ids.size).toBe(1000);
    const u = d.createTask({
      requiredCapabilities: 0,
      payload: 0,
      taskId: "t-1",
      correlationId: "c-1",
      timeoutMs: 10,
      priority: TaskPriority.Critical,
    });
    expect(u).toMatchObject({
      taskId: "t-1",
      correlationId: "c-1",
      domain: "generic",
      deadline: 5010,
    });
  });

  it("distributor - createTask refuses bad capabilities, priority, timeout and ids", () => {
    const { d } = setup();
    expect(() => d.createTask({ requiredCapabilities: 0x80, payload: 0 })).toThrow(
      InvalidArgumentError,
    );
    expect(() =>
      d.createTask({ requiredCapabilities: 1, payload: 0, priority: 4 as TaskPriority }),
    ).toThrow(InvalidArgumentError);
    expect(() => d.createTask({ requiredCapabilities: 1, payload: 0, timeoutMs: 0 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => d.createTask({ requiredCapabilities: 1, payload: 0, timeoutMs: 1.5 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => d.createTask({ requiredCapabilities: 1, payload: 0, taskId: "a.b" })).toThrow(
      InvalidSubjectTokenError,
    );
  });

  it("distributor - createTaskFromEvent maps each kind to capabilities and payload", () => {
    const { d } = setup();
    const cases: [CollectionEvent, number, string][] = [
      [{ kind: "process", name: "sshd", hashExecutable: true }, P, "process"],
      [
        { kind: "process", pid: 1, realtime: true, kernelLevel: true },
        P | SourceCaps.REALTIME | SourceCaps.KERNEL_LEVEL,
        "process",
      ],
      [{ kind: "network", protocol: "tcp", localPort: 22 }, N, "network"],
      [
        { kind: "filesystem", paths: ["/etc"], recursive: true, systemWide: true },
        F | SourceCaps.SYSTEM_WIDE,
        "filesystem",
      ],
      [{ kind: "performance", metrics: ["cpu"] }, SourceCaps.PERFORMANCE, "performance"],
    ];
    for (const [event, caps, domain] of cases) {
      const t = d.createTaskFromEvent(event, TaskPriority.High, 1000);
      expect(t).toMatchObject({
        requiredCapabilities: caps,
        domain,
        priority: TaskPriority.High,
        payload: event,
      });
      expect(t.deadline - t.createdAt).toBe(1000);
    }
    const trig = d.createTaskFromEvent(
      {
        kind: "trigger",
        requiredCapabilities: N | P,
        payload: { scan: "all" },
        correlationId: "corr-9",
      },
      TaskPriority.Critical,
      500,
    );
    expect(trig).toMatchObject({
      requiredCapabilities: N | P,
      domain: "process",
      payload: { scan: "all" },
      correlationId: "corr-9",
    });
    expect(() => d.createTaskFromEvent({ kind: "bogus" } as unknown as CollectionEvent)).toThrow(
      InvalidArgumentError,
    );
  });

  it("distributor - options are validated once", () => {
    expect(parseDistributorOptions({}).maxQueued).toBe(DEFAULT_MAX_QUEUED);
    expect(DEFAULT_MAX_QUEUED).toBe(100_000);
    expect(parseDistributorOptions({ agingMs: Infinity }).agingMs).toBe(Infinity);
    expect(() => parseDistributorOptions({ maxQueued: 0 })).toThrow(InvalidArgumentError);
    expect(() => parseDistributorOptions({ agingMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => parseDistributorOptions({ defaultTimeoutMs: 0 })).toThrow(InvalidArgumentError);
  });
});

describe("distributor - priority queue", () => {
  it("distributor - pops in order Critical, High, Normal, Low", () => {
    const { d, task } = setup();
    const low = task(TaskPriority.Low);
    const normal = task(TaskPriority.Normal);
    const high = task(TaskPriority.High);
    const critical = task(TaskPriority.Critical);
    for (const t of [low, normal, high, critical]) d.enqueue(t);
    expect([d.nextTask(), d.nextTask(), d.nextTask(), d.nextTask(), d.nextTask()]).toEqual([
      critical,
      high,
      normal,
      low,
      undefined,
    ]);
  });

  it("distributor - dispatchReady walks Critical > High > Normal > Low, FIFO within a level", () => {
    const { d, task, drain } = setup();
    const ts = [
      task(TaskPriority.Low),
      task(TaskPriority.High),
      task(TaskPriority.Normal, N),
      task(TaskPriority.High, F),
      task(TaskPriority.Critical, N),
      task(TaskPriority.Low, F),
      task(TaskPriority.High),
    ];
    for (const t of ts) d.enqueue(t);
    const order = drain().map((t) => ts.indexOf(t));
    expect(order).toEqual([4, 1, 3, 6, 2, 0, 5]);
    expect(d.size()).toBe(0);
  });

  it("distributor - aging moves a task up one level per agingMs waited", () => {
    const { clock, d, task } = setup({ agingMs: 100 });
    const low = task(TaskPriority.Low);
    d.enqueue(low);
    clock.advance(150); // Low -> Normal; older than the Normal below
    const normal = task(TaskPriority.Normal);
    d.enqueue(normal);
    const high = task(TaskPriority.High);
    d.enqueue(high);
    expect(d.nextTask()).toBe(high);
    d.enqueue(high);
    clock.advance(60); // low waited 210 -> High (older than `high`), normal waited 60
    expect(d.nextTask()).toBe(low);
    expect(d.nextTask()).toBe(high);
    expect(d.nextTask()).toBe(normal);
  });

  it("distributor - aging: a steady stream of High tasks still lets a Low task out within its aging bound", () => {
    const agingMs = 1000;
    const tick = 10;
    const { clock, d, task } = setup({ agingMs });
    for (let i = 0; i < 50; i++) d.enqueue(task(TaskPriority.High)); // a backlog before it
    const low = task(TaskPriority.Low);
    d.enqueue(low);
    const start = clock.now();
    let outAt: number | undefined;
    // Oversaturated: two High tasks arrive per tick, one slot frees up per tick.
    for (let i = 0; i < 10_000 && outAt === undefined; i++) {
      clock.advance(tick);
      d.enqueue(task(TaskPriority.High));
      d.enqueue(task(TaskPriority.High));
      let slots = 1;
      d.dispatchReady((t) => {
        if (slots === 0) return false;
        slots--;
        if (t === low) outAt = clock.now();
        return true;
      });
    }
    expect(outAt).toBeDefined();
    const waited = (outAt as number) - start;
    // Low reaches High after 2 × agingMs and then beats every younger High task.
    expect(waited).toBeGreaterThanOrEqual(2 * agingMs);
    expect(waited).toBeLessThanOrEqual((TaskPriority.Critical - TaskPriority.Low) * agingMs);
    expect(d.size()).toBeGreaterThan(100); // the High backlog kept growing all along
  });

  it("distributor - dispatchReady skips a full capability set but still places others", () => {
    const { d, task } = setup();
    const p1 = task(TaskPriority.Critical, P);
    const p2 = task(TaskPriority.High, P);
    const n1 = task(TaskPriority.Low, N);
    const f1 = task(TaskPriority.Normal, F);
    const n2 = task(TaskPriority.Low, N);
    for (const t of [p1, p2, n1, f1, n2]) d.enqueue(t);
    const offered: Task[] = [];
    const placed = d.dispatchReady((t) => {
      offered.push(t);
      return t.requiredCapabilities !== P; // every PROCESS instance is full
    });
    expect(placed).toBe(3);
    expect(offered).toEqual([p1, f1, n1, n2]); // p2 never offered: its set already refused
    expect(d.size()).toBe(2);
    expect(d.has(p1.taskId) && d.has(p2.taskId)).toBe(true);
  });

  it("distributor - dispatchReady offers one task per capability set when nothing fits", () => {
    const { d, task } = setup({ maxQueued: 20_000 });
    for (let i = 0; i < 10_000; i++) d.enqueue(task((i % 4) as TaskPriority, [P, N, F][i % 3]));
    let calls = 0;
    expect(d.dispatchReady(() => (calls++, false))).toBe(0);
    expect(calls).toBe(3);
    expect(d.size()).toBe(10_000);
  });

  it("distributor - a place that removes tasks re-entrantly keeps the walk consistent", () => {
    const { d, task } = setup();
    const a = task(TaskPriority.High);
    const b = task(TaskPriority.High);
    const c = task(TaskPriority.Normal);
    for (const t of [a, b, c]) d.enqueue(t);
    const offered: Task[] = [];
    d.dispatchReady((t) => {
      offered.push(t);
      if (t === a) d.remove(b.taskId);
      d.remove(t.taskId);
      return true;
    });
    expect(offered).toEqual([a, c]);
    expect(d.size()).toBe(0);
  });

  it("distributor - a duplicate task id is refused", () => {
    const { d, task } = setup();
    const t = task(TaskPriority.Low);
    d.enqueue(t);
    expect(() => d.enqueue(t)).toThrow(InvalidArgumentError);
    expect(d.size()).toBe(1);
  });

  it("distributor - remove, has and size", () => {
    const { d, task } = setup();
    const a = task(TaskPriority.Low);
    const b = task(TaskPriority.High);
    d.enqueue(a);
    d.enqueue(b);
    expect(d.size()).toBe(2);
    expect(d.remove(a.taskId)).toBe(a);
    expect(d.remove(a.taskId)).toBeUndefined();
    expect(d.has(a.taskId)).toBe(false);
    expect(d.has(b.taskId)).toBe(true);
    expect(d.nextTask()).toBe(b);
    expect(d.size()).toBe(0);
  });
});
