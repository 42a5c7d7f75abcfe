import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  propagation,
  trace,
  context,
  ROOT_CONTEXT,
  type Context,
  type ContextManager,
  type TextMapPropagator,
  type TextMapSetter,
} from "@opentelemetry/api";
import { headers as natsHeaders, type Msg } from "@nats-io/nats-core";
import { decode } from "../../src/codec.js";
import { ManualClock } from "../../src/clock.js";
import { TaskDistributor, TaskPublisher } from "../../src/distributor/index.js";
import { InvalidSubjectTokenError } from "../../src/errors.js";
import { SourceCaps, Subjects, Task, TaskPriority } from "../../subjects/index.js";
import { startMesh, type Mesh } from "../support/nats-server.js";

/** Writes `traceparent` from the active span: enough to see headers travel. */
class TestPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(ctx);
    if (sc) setter.set(carrier, "traceparent", `00-${sc.traceId}-${sc.spanId}-01`);
  }
  extract(ctx: Context): Context {
    return ctx;
  }
  fields(): string[] {
    return ["traceparent"];
  }
}

/** A synchronous context stack: enough for `context.with` in a test without an SDK. */
class StackContextManager implements ContextManager {
  #stack: Context[] = [];
  active(): Context {
    return this.#stack[this.#stack.length - 1] ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.#stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#stack = [];
    return this;
  }
}

describe("distributor - publishing through nats-server", () => {
  let mesh: Mesh;
  const s = new Subjects();
  const d = new TaskDistributor({}, { clock: new ManualClock(Date.now()) });

  beforeAll(async () => {
    mesh = await startMesh();
  });
  afterAll(async () => {
    await mesh?.dispose();
  });

  async function collect(
    subject: string,
    n: number,
    queue?: string,
  ): Promise<{ msgs: Msg[]; done: Promise<void> }> {
    const c = await mesh.connect("collector");
    const msgs: Msg[] = [];
    const sub = c.subscribe(subject, { max: n, queue });
    const done = (async () => {
      for await (const m of sub) msgs.push(m);
    })();
    await c.flush();
    return { msgs, done };
  }

  it("distributor - distributeTask lands on the plain-path subject of its domain and priority", async () => {
    const { msgs, done } = await collect(s.taskWildcard("network"), 2, s.queueGroup("network"));
    const other = await collect(s.taskWildcard("process"), 1);
    const pub = new TaskPublisher(mesh.nc);
    const high = d.createTask({
      requiredCapabilities: SourceCaps.NETWORK,
      payload: { port: 22 },
      priority: TaskPriority.High,
    });
    const low = d.createTaskFromEvent({ kind: "network", protocol: "udp" }, TaskPriority.Low, 1000);
    const proc = d.createTaskFromEvent(
      { kind: "process", name: "sshd" },
      TaskPriority.Critical,
      1000,
    );
    expect(pub.distributeTask(high)).toBe("daemoneye.task.network.high");
    expect(pub.distributeTask(low)).toBe("daemoneye.task.network.low");
    expect(pub.distributeTask(proc)).toBe("daemoneye.task.process.critical");
    await done;
    await other.done;
    expect(msgs.map((m) => m.subject)).toEqual([
      "daemoneye.task.network.high",
      "daemoneye.task.network.low",
    ]);
    expect(msgs.map((m) => decode(Task, m.data))).toEqual([high, low]);
    expect(msgs[0]?.reply).toBeFalsy();
    expect(msgs[0]?.headers).toBeUndefined(); // tracing off: no headers at all
    expect(decode(Task, other.msgs[0]!.data)).toEqual(proc);
    expect(pub.published).toBe(3);
  });

  it("distributor - distributeTask with a collector id uses its direct subject and the reply", async () => {
    const { msgs, done } = await collect(s.collectorTask("procmond-1"), 1);
    const pub = new TaskPublisher(mesh.nc);
    const task = d.createTask({ requiredCapabilities: SourceCaps.PROCESS, payload: null });
    const reply = s.result("coord-1", task.taskId, 0);
    const h = natsHeaders();
    h.set("x-extra", "1");
    expect(pub.distributeTask(task, { collectorId: "procmond-1", reply, headers: h })).toBe(
      "daemoneye.collector.procmond-1.task",
    );
    await done;
    expect(msgs[0]?.reply).toBe(`daemoneye.result.coord-1.${task.taskId}.0`);
    expect(msgs[0]?.headers?.get("x-extra")).toBe("1");
    expect(decode(Task, msgs[0]!.data)).toEqual(task);
    expect(() => pub.distributeTask(task, { collectorId: "a.b" })).toThrow(
      InvalidSubjectTokenError,
    );
  });

  it("distributor - a custom prefix and trace headers when a propagator is registered", async () => {
    const p = new Subjects("mesh2");
    const { msgs, done } = await collect(p.collectorTask("c1"), 1);
    const pub = new TaskPublisher(mesh.nc, { prefix: "mesh2" });
    const task = d.createTask({ requiredCapabilities: SourceCaps.FILESYSTEM, payload: ["/etc"] });
    propagation.setGlobalPropagator(new TestPropagator());
    context.setGlobalContextManager(new StackContextManager());
    try {
      // A parent span context (no SDK: the PRODUCER span is non-recording and carries it).
      const parent = trace.setSpanContext(context.active(), {
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        traceFlags: 1,
      });
      context.with(parent, () => pub.distributeTask(task, { collectorId: "c1", reply: "r.x" }));
    } finally {
      propagation.disable();
      context.disable();
    }
    await done;
    expect(msgs[0]?.subject).toBe("mesh2.collector.c1.task");
    expect(msgs[0]?.reply).toBe("r.x");
    expect(msgs[0]?.headers?.get("traceparent")).toMatch(
      /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/,
    );
    expect(pub.published).toBe(1);
  });
});
