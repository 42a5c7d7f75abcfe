import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headers as natsHeaders, type Msg, type NatsConnection } from "@nats-io/nats-core";
import { encode, encodeRaw } from "../../src/codec.js";
import type { MeshError } from "../../src/errors.js";
import { InvalidMessageError } from "../../src/errors.js";
import { ResultAggregator, ResultInbox } from "../../src/aggregator/index.js";
import { TaskDistributor, TaskPublisher } from "../../src/distributor/index.js";
import { decode } from "../../src/codec.js";
import {
  MeshHeaders,
  Result,
  SourceCaps,
  Subjects,
  Task,
  type Result as ResultT,
} from "../../subjects/index.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";

interface Seen {
  results: ResultT[];
  noResponders: [string, number | undefined][];
  errorReplies: [string, number | undefined, MeshError][];
  invalid: InvalidMessageError[];
  errors: unknown[];
}

function inbox(nc: NatsConnection, coordinatorId: string, prefix?: string) {
  const seen: Seen = { results: [], noResponders: [], errorReplies: [], invalid: [], errors: [] };
  const ib = new ResultInbox(nc, {
    prefix,
    coordinatorId,
    onResult: (r) => seen.results.push(r),
    onNoResponders: (taskId, attempt) => seen.noResponders.push([taskId, attempt]),
    onErrorReply: (taskId, attempt, err) => seen.errorReplies.push([taskId, attempt, err]),
    onInvalid: (err) => seen.invalid.push(err),
    onError: (err) => seen.errors.push(err),
  });
  return { ib, seen };
}

function result(over: Partial<ResultT> = {}): ResultT {
  return {
    taskId: "t1",
    correlationId: "c1",
    collectorId: "procmond-1",
    seq: 0,
    final: true,
    status: "ok",
    payload: { pids: [1, 2] },
    producedAt: Date.now(),
    processingMs: 3,
    ...over,
  };
}

describe("aggregator - result inbox through nats-server", () => {
  let mesh: Mesh;
  let collector: NatsConnection;
  const s = new Subjects();

  beforeAll(async () => {
    mesh = await startMesh();
    collector = await mesh.connect("collector");
  });
  afterAll(async () => {
    await mesh?.dispose();
  });

  it("aggregator - the inbox receives collector results on <p>.result.<coord>.<task>[.<attempt>]", async () => {
    const { ib, seen } = inbox(mesh.nc, "coord-1");
    ib.start();
    ib.start(); // once only
    expect(ib.subject).toBe("daemoneye.result.coord-1.>");
    await mesh.nc.flush();
    const a = result({ taskId: "t1" });
    const b = result({ taskId: "t2", attempt: 2 });
    collector.publish(s.result("coord-1", "t1"), encode(Result, a));
    collector.publish(s.result("coord-1", "t2", 2), encode(Result, b));
    collector.publish(s.result("coord-other", "t3"), encode(Result, result({ taskId: "t3" })));
    await until(() => seen.results.length === 2, 5000, "two results");
    expect(seen.results).toEqual([a, b]);
    expect(ib.stats()).toMatchObject({ received: 2, results: 2, invalid: 0 });
    await ib.stop();
  });

  it("aggregator - a publish with the inbox reply to a subject with no subscriber reports 503 with its attempt", async () => {
    const { ib, seen } = inbox(mesh.nc, "coord-2");
    ib.start();
    await mesh.nc.flush();
    // Like the coordinator: its own connection publishes the task with the reply subject.
    mesh.nc.publish(s.collectorTask("gone-1"), new Uint8Array(), {
      reply: s.result("coord-2", "t9", 4),
    });
    mesh.nc.publish(s.collectorTask("gone-2"), new Uint8Array(), {
      reply: s.result("coord-2", "t8"),
    });
    await until(() => seen.noResponders.length === 2, 5000, "two no-responders statuses");
    expect(seen.noResponders).toEqual([
      ["t9", 4],
      ["t8", undefined],
    ]);
    expect(seen.results).toEqual([]);
    expect(ib.stats()).toMatchObject({ noResponders: 2, invalid: 0 });
    await ib.stop();
  });

  it("aggregator - an error reply is rebuilt from its headers", async () => {
    const { ib, seen } = inbox(mesh.nc, "coord-3");
    ib.start();
    await mesh.nc.flush();
    const h = natsHeaders();
    h.set(MeshHeaders.ErrorCode, "INVALID_MESSAGE");
    h.set(MeshHeaders.Error, "bad task");
    collector.publish(
      s.result("coord-3", "t5", 1),
      encodeRaw({ error: { code: "INVALID_MESSAGE", message: "bad task" } }),
      {
        headers: h,
      },
    );
    await until(() => seen.errorReplies.length === 1, 5000, "an error reply");
    const [taskId, attempt, err] = seen.errorReplies[0]!;
    expect([taskId, attempt, err.code, err.message]).toEqual([
      "t5",
      1,
      "INVALID_MESSAGE",
      "bad task",
    ]);
    await ib.stop();
  });

  it("aggregator - garbage is counted and reported without crashing the inbox", async () => {
    const { ib, seen } = inbox(mesh.nc, "coord-4");
    ib.start();
    await mesh.nc.flush();
    const p = "daemoneye.result.coord-4.";
    collector.publish(`${p}t1`, new Uint8Array([0xc1, 0xff, 0x00])); // not msgpack
    collector.publish(`${p}t1`, encodeRaw({ hello: "world" })); // not a Result
    collector.publish(`${p}t1.x`, encode(Result, result())); // attempt is not a number
    collector.publish(`${p}t1.2.3`, encode(Result, result())); // too many tokens
    collector.publish(`${p}t1`, encode(Result, result({ taskId: "t2" }))); // another task's result
    const good = result({ seq: 7 });
    collector.publish(`${p}t1`, encode(Result, good));
    await until(() => seen.results.length === 1, 5000, "the valid result after the garbage");
    expect(seen.results).toEqual([good]);
    expect(seen.invalid).toHaveLength(5);
    expect(
      seen.invalid.every((e) => e instanceof InvalidMessageError && e.subject?.startsWith(p)),
    ).toBe(true);
    expect(ib.stats()).toMatchObject({ received: 6, results: 1, invalid: 5, errors: 0 });
    await ib.stop();
  });

  it("aggregator - a message on the subject of no attempt in flight is dropped unread, whatever it holds", async () => {
    const seen: ResultT[] = [];
    const invalid: InvalidMessageError[] = [];
    const asked: [string, number | undefined][] = [];
    const ib = new ResultInbox(mesh.nc, {
      coordinatorId: "coord-6",
      onResult: (r) => seen.push(r),
      onNoResponders: () => undefined,
      onErrorReply: () => undefined,
      onInvalid: (err) => invalid.push(err),
      expects: (taskId, attempt) => {
        asked.push([taskId, attempt]);
        return taskId === "live" && attempt === 1;
      },
    });
    ib.start();
    await mesh.nc.flush();
    const p = "daemoneye.result.coord-6.";
    // 1 MB of nested maps would take milliseconds to read: on a task nobody waits for, it is not.
    const nested = new Uint8Array(1024 * 1024).fill(0x81);
    collector.publish(`${p}ghost.0`, nested);
    collector.publish(`${p}ghost.0`, encode(Result, result({ taskId: "ghost" })));
    collector.publish(`${p}live.0`, encode(Result, result({ taskId: "live" }))); // an older attempt
    collector.publish(`${p}live.1`, new Uint8Array([0xc1])); // the attempt in flight: read, refused
    const good = result({ taskId: "live", attempt: 1 });
    collector.publish(`${p}live.1`, encode(Result, good));
    await until(() => seen.length === 1, 5000, "the result of the attempt in flight");
    expect(seen).toEqual([good]);
    expect(invalid).toHaveLength(1);
    expect(asked).toEqual([
      ["ghost", 0],
      ["ghost", 0],
      ["live", 0],
      ["live", 1],
      ["live", 1],
    ]);
    expect(ib.stats()).toMatchObject({ received: 5, results: 1, invalid: 1, unexpected: 3 });
    await ib.stop();
  });

  it("aggregator - a callback that throws is reported and the inbox keeps going", async () => {
    let n = 0;
    const errors: unknown[] = [];
    const ib = new ResultInbox(mesh.nc, {
      coordinatorId: "coord-5",
      onResult: () => {
        if (++n === 1) throw new Error("handler bug");
      },
      onNoResponders: () => undefined,
      onErrorReply: () => undefined,
      onError: (err) => errors.push(err),
    });
    ib.start();
    await mesh.nc.flush();
    collector.publish(s.result("coord-5", "t1"), encode(Result, result()));
    collector.publish(s.result("coord-5", "t1"), encode(Result, result({ seq: 1 })));
    await until(() => n === 2, 5000, "both results handled");
    expect(errors).toHaveLength(1);
    expect(ib.stats()).toMatchObject({ results: 2, errors: 1 });
    await ib.stop();
    await ib.stop();
  });

  it("aggregator - tasks out through the publisher, results back through the inbox into the aggregator", async () => {
    const prefix = "e2e";
    const p = new Subjects(prefix);
    const d = new TaskDistributor();
    const agg = new ResultAggregator();
    const pub = new TaskPublisher(mesh.nc, { prefix });
    const ib = new ResultInbox(mesh.nc, {
      prefix,
      coordinatorId: "coord-6",
      onResult: (r) => agg.addResult(r),
      onNoResponders: () => undefined,
      onErrorReply: () => undefined,
    });
    ib.start();
    // Two collectors that stream two results per task to the reply subject.
    for (const id of ["c-a", "c-b"]) {
      collector.subscribe(p.collectorTask(id), {
        callback: (_err, msg: Msg) => {
          const task = decode(Task, msg.data);
          for (let seq = 0; seq < 2; seq++) {
            const r = result({
              taskId: task.taskId,
              correlationId: task.correlationId,
              collectorId: id,
              seq,
              final: seq === 1,
            });
            msg.respond(encode(Result, r));
          }
        },
      });
    }
    await collector.flush();
    await mesh.nc.flush();
    const first = d.createTask({ requiredCapabilities: SourceCaps.PROCESS, payload: "ps" });
    const second = d.createTask({
      requiredCapabilities: SourceCaps.PROCESS,
      payload: "ps",
      correlationId: first.correlationId,
    });
    agg.startAggregation(first.correlationId, { expected: 2, timeoutMs: 10_000 });
    const done = agg.whenComplete(first.correlationId);
    pub.distributeTask(first, { collectorId: "c-a", reply: p.result("coord-6", first.taskId, 0) });
    pub.distributeTask(second, {
      collectorId: "c-b",
      reply: p.result("coord-6", second.taskId, 0),
    });
    const r = await done;
    expect(r.status).toBe("complete");
    expect(r.received).toBe(4);
    expect(new Set(r.results.map((x) => x.collectorId))).toEqual(new Set(["c-a", "c-b"]));
    await ib.stop();
  });
});
