/**
 * The coordinated path against a real nats-server: routing, balancing, priorities, fan-out,
 * streams, typed refusals of bad input, the plain path and the micro service.
 */
import { describe, expect, it } from "vitest";
import { encode as mpEncode } from "@msgpack/msgpack";
import { Svcm } from "@nats-io/services";
import { MeshError, NoCapableCollectorError } from "../../src/errors.js";
import { decode, encode } from "../../src/codec.js";
import {
  AggregatedResult,
  ErrorReply,
  MeshHeaders,
  Result as ResultSchema,
  SourceCaps,
  StatsReply,
  StatusReply,
  Subjects,
  SubmitRequest,
  Task,
  type Result,
} from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { routable } from "../support/mesh-fixture.js";
import { NET, PROC, echo, useCoordination } from "../support/coordination.js";

const { mesh, prefix, coordinator, collector } = useCoordination();

describe("coordination - the coordinated path against a real nats-server", () => {
  it("coordination - process tasks reach procmond instances only, network tasks netmond only", async () => {
    const p = prefix();
    await collector(p, "procmond-1", PROC, echo("procmond-1"));
    await collector(p, "procmond-2", PROC, echo("procmond-2"));
    await collector(p, "netmond-1", NET, echo("netmond-1"));
    const coord = await coordinator(p);
    await routable(coord, ["procmond-1", "procmond-2", "netmond-1"]);
    const proc = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        coord.submit({ requiredCapabilities: "PROCESS", payload: i }),
      ),
    );
    const net = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        coord.submit({ requiredCapabilities: "NETWORK", payload: i }),
      ),
    );
    for (const r of proc) {
      expect(r.status).toBe("complete");
      expect(["procmond-1", "procmond-2"]).toContain(r.results[0]?.collectorId);
    }
    for (const r of net) {
      expect(r.status).toBe("complete");
      expect(r.results[0]?.collectorId).toBe("netmond-1");
    }
    expect(new Set(proc.map((r) => r.results[0]?.collectorId)).size).toBe(2);
  });

  it("coordination - 300 tasks over 3 equal instances with least-connections land 100 ± 10 each", async () => {
    const p = prefix();
    for (const id of ["a", "b", "c"])
      await collector(p, id, PROC, echo(id, 2), { maxConcurrency: 128 });
    // The in-memory path: how the balancer spreads what it is given at once. Each instance has
    // room for its share, so where a task lands is the strategy's choice alone, not which
    // instance happened to answer first while the rest waited in the queue.
    const coord = await coordinator(p, { strategy: "least-connections", durable: false });
    await routable(coord, ["a", "b", "c"]);
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        coord.submit({ requiredCapabilities: PROC, payload: i }),
      ),
    );
    const counts: Record<string, number> = {};
    for (const r of results) {
      expect(r.status).toBe("complete");
      const id = r.results[0]?.collectorId ?? "none";
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(["a", "b", "c"]);
    for (const n of Object.values(counts)) expect(Math.abs(n - 100)).toBeLessThanOrEqual(10);
  });

  it("coordination - a saturated collector runs queued work Critical, High, Normal, Low", async () => {
    const p = prefix();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstRunning = new Promise<void>((r) => (releaseFirst = r));
    let gate!: () => void;
    const blocked = new Promise<void>((r) => (gate = r));
    await collector(
      p,
      "slow",
      PROC,
      async (payload) => {
        order.push(String(payload));
        if (payload === "first") {
          releaseFirst();
          await blocked;
        }
        return payload;
      },
      { maxConcurrency: 1 },
    );
    const coord = await coordinator(p);
    await routable(coord, ["slow"]);
    const first = coord.submit({ requiredCapabilities: PROC, payload: "first" });
    await firstRunning;
    const queued = (["low", "critical", "normal", "high"] as const).map((prio) =>
      coord.submit({ requiredCapabilities: PROC, payload: prio }, { priority: prio }),
    );
    await until(
      () => coord.distributor.size() === 4,
      2000,
      "four tasks queued behind the running one",
    );
    gate();
    const all = await Promise.all([first, ...queued]);
    for (const r of all) expect(r.status).toBe("complete");
    expect(order).toEqual(["first", "critical", "high", "normal", "low"]);
  });

  it("coordination - fan-out over 3 instances gives one aggregated result with 3 distinct, ordered results", async () => {
    const p = prefix();
    for (const id of ["x1", "x2", "x3"]) await collector(p, id, PROC, echo(id));
    const coord = await coordinator(p);
    await routable(coord, ["x1", "x2", "x3"]);
    const r = await coord.submit(
      { requiredCapabilities: PROC, payload: "hello" },
      { mode: "all", timeoutMs: 5000 },
    );
    expect(r.status).toBe("complete");
    expect(r.expected).toBe(3);
    expect(r.results.map((x) => x.collectorId).sort()).toEqual(["x1", "x2", "x3"]);
    expect(new Set(r.results.map((x) => x.taskId)).size).toBe(3);
    const produced = r.results.map((x) => x.producedAt);
    expect([...produced].sort((a, b) => a - b)).toEqual(produced);
    for (const x of r.results) expect(x.correlationId).toBe(r.correlationId);
  });

  it("coordination - fan-out that completes at `expected` ends the parts still running", async () => {
    const p = prefix();
    await collector(p, "f1", PROC, echo("f1"));
    await collector(p, "f2", PROC, echo("f2"));
    let aborted = false;
    await collector(p, "f3", PROC, async (_payload, ctx) => {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5000);
        ctx.signal.addEventListener("abort", () => {
          aborted = true;
          clearTimeout(t);
          resolve();
        });
      });
      return { by: "f3" };
    });
    const coord = await coordinator(p);
    await routable(coord, ["f1", "f2", "f3"]);
    const r = await coord.submit({ requiredCapabilities: PROC }, { mode: "all", expected: 2 });
    expect(r.status).toBe("complete");
    expect(r.results.map((x) => x.collectorId).sort()).toEqual(["f1", "f2"]);
    expect(coord.stats().coordinator).toMatchObject({ inFlight: 0, tasks: 0 });
    // f3's part is cancelled on f3; until its next heartbeat says so, f3 may still count it.
    await until(() => aborted, 5000, "f3's running part cancelled");
    await until(() => coord.balancer.load("f3") === 0, 5000, "f3 free again");
  });

  it("coordination - a handler yielding 1,000 results arrives complete and in order via submitStream", async () => {
    const p = prefix();
    await collector(p, "streamer", PROC, async function* () {
      for (let i = 0; i < 1000; i++) {
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
        yield { i };
      }
    });
    const coord = await coordinator(p);
    await routable(coord, ["streamer"]);
    const seen: Result[] = [];
    for await (const r of coord.submitStream({ requiredCapabilities: PROC }, { timeoutMs: 10_000 }))
      seen.push(r);
    expect(seen).toHaveLength(1000);
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(seen.map((r) => (r.payload as { i: number }).i)).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
    expect(seen.at(-1)?.final).toBe(true);
    expect(seen.slice(0, -1).every((r) => !r.final)).toBe(true);
  });

  it("coordination - an unknown capability fails at once with NoCapableCollectorError", async () => {
    const p = prefix();
    await collector(p, "only-proc", PROC, echo("only-proc"));
    const coord = await coordinator(p);
    await routable(coord, ["only-proc"]);
    const timer = new Promise<string>((r) => setTimeout(() => r("timer"), 100));
    const outcome = await Promise.race([
      coord.submit({ requiredCapabilities: "KERNEL_LEVEL" }).then(
        () => "resolved",
        (e: unknown) => e,
      ),
      timer,
    ]);
    expect(outcome).toBeInstanceOf(NoCapableCollectorError);
    expect((outcome as MeshError).code).toBe("NO_CAPABLE_COLLECTOR");
    expect(coord.distributor.size()).toBe(0);
  });

  it("coordination - garbage, wrong schema and oversized input get typed errors and change nothing", async () => {
    const p = prefix();
    const s = new Subjects(p);
    const { c } = await collector(p, "target", PROC, echo("target"));
    const coord = await coordinator(p);
    await routable(coord, ["target"]);
    const garbage = new Uint8Array([0xc1, 0xff, 0x00, 0x13]);
    const wrong = mpEncode({ taskId: "a.b", priority: 9 });
    const validTask: Task = {
      taskId: "ok1",
      correlationId: "c1",
      requiredCapabilities: PROC,
      domain: "process",
      priority: 1,
      payload: "x".repeat(300 * 1024),
      createdAt: Date.now(),
      deadline: Date.now() + 5000,
      attempt: 0,
    };
    const oversized = encode(Task, validTask);
    for (const subject of [
      s.collectorTask("target"),
      s.task("process", "normal"),
      s.api("submit"),
    ]) {
      for (const body of [garbage, wrong, oversized]) {
        const reply = await mesh.nc.request(subject, body, { timeout: 2000 });
        const err = MeshError.fromMsg(reply);
        expect(err?.code, subject).toBe("INVALID_MESSAGE");
        expect(reply.headers?.get(MeshHeaders.ErrorCode)).toBe("INVALID_MESSAGE");
        expect(decode(ErrorReply, reply.data).error.code).toBe("INVALID_MESSAGE");
      }
    }
    expect(c.stats().invalid).toBe(6);
    const r = await coord.submit({ requiredCapabilities: PROC, payload: "still served" });
    expect(r.status).toBe("complete");
    expect(r.results[0]?.payload).toEqual({ echo: "still served", by: "target" });
    const viaApi = await mesh.nc.request(
      s.api("submit"),
      encode(SubmitRequest, {
        requiredCapabilities: PROC,
        payload: "api",
        priority: 2,
        mode: "one",
        timeoutMs: 5000,
      }),
      { timeout: 6000 },
    );
    expect(MeshError.fromMsg(viaApi)).toBeUndefined();
    const agg = decode(AggregatedResult, viaApi.data);
    expect(agg.status).toBe("complete");
    expect(agg.results[0]?.payload).toEqual({ echo: "api", by: "target" });
  });
  it("coordination - the plain path works without a coordinator: a queue-group member serves a request", async () => {
    const p = prefix();
    const s = new Subjects(p);
    await collector(p, "plain-1", PROC, echo("plain-1"));
    await collector(p, "plain-2", PROC, echo("plain-2"));
    const served = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const task: Task = {
        taskId: `plain${i}`,
        correlationId: `pc${i}`,
        requiredCapabilities: SourceCaps.PROCESS,
        domain: "process",
        priority: 2,
        payload: i,
        createdAt: Date.now(),
        deadline: Date.now() + 5000,
        attempt: 0,
      };
      const reply = await mesh.nc.request(s.task("process", "high"), encode(Task, task), {
        timeout: 2000,
      });
      const r = decode(ResultSchema, reply.data);
      expect(r.taskId).toBe(`plain${i}`);
      expect(r.final).toBe(true);
      expect(r.payload).toEqual({ echo: i, by: r.collectorId });
      served.add(r.collectorId);
    }
    expect([...served].sort()).toEqual(["plain-1", "plain-2"]);
  });

  it("coordination - the coordinator is a NATS micro service with submit, status and stats", async () => {
    const p = prefix();
    const s = new Subjects(p);
    await collector(p, "svc-1", PROC, echo("svc-1"));
    const coord = await coordinator(p, { id: "coord-svc" });
    await routable(coord, ["svc-1"]);
    await coord.submit({ requiredCapabilities: PROC, payload: 1 });
    const infos = [];
    for await (const info of await new Svcm(mesh.nc).client().info("collector-mesh"))
      infos.push(info);
    const mine = infos.find((i) => i.metadata?.coordinator_id === "coord-svc");
    expect(mine?.endpoints.map((e) => e.subject).sort()).toEqual([
      s.api("stats"),
      s.api("status"),
      s.api("submit"),
    ]);
    expect(mine?.endpoints.every((e) => e.queue_group === "collector-mesh")).toBe(true);
    const status = decode(
      StatusReply,
      (await mesh.nc.request(s.api("status"), new Uint8Array(0))).data,
    );
    expect(status.coordinatorId).toBe("coord-svc");
    expect(status.collectors.map((c) => [c.advert.id, c.health])).toEqual([["svc-1", "healthy"]]);
    const stats = decode(
      StatsReply,
      (await mesh.nc.request(s.api("stats"), new Uint8Array(0))).data,
    );
    expect(stats.distribution.delivered).toBe(1);
    expect(stats.aggregation.completed).toBe(1);
    const srvStats = [];
    for await (const st of await new Svcm(mesh.nc).client().stats("collector-mesh"))
      srvStats.push(st);
    const ours = srvStats.find((x) => x.id === mine?.id);
    const data = ours?.endpoints?.[0]?.data as { coordinator?: { submitted?: number } } | undefined;
    expect(data?.coordinator?.submitted).toBe(1);
  });
  it("coordination - thousands of queued tasks that expired before they ran do not overflow the stack", async () => {
    const p = prefix();
    const s = new Subjects(p);
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const { c } = await collector(p, "busy", PROC, () => blocked, {
      maxConcurrency: 1,
      maxQueued: 10_000,
    });
    const now = Date.now();
    const task = (i: number, deadline: number): Task => ({
      taskId: `exp${i}`,
      correlationId: `ce${i}`,
      requiredCapabilities: PROC,
      domain: "process",
      priority: 1,
      payload: i,
      createdAt: now,
      deadline,
      attempt: 0,
    });
    mesh.nc.publish(s.collectorTask("busy"), encode(Task, task(0, now + 10_000)));
    for (let i = 1; i <= 6000; i++)
      mesh.nc.publish(s.collectorTask("busy"), encode(Task, task(i, now + 300)));
    await mesh.nc.flush();
    await until(() => c.stats().queued === 6000, 5000, "6,000 queued");
    await until(() => Date.now() > now + 400, 2000, "deadlines passed");
    release();
    await until(() => c.stats().expired === 6000, 5000, "expired jobs dropped");
    expect(c.stats()).toMatchObject({ running: 0, queued: 0, completed: 1 });
  });
});
