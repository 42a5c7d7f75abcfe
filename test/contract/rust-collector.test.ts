import { describe, expect, it } from "vitest";
import { Kvm } from "@nats-io/kv";
import type { Collector } from "../../src/collector/index.js";
import { decode, encode } from "../../src/codec.js";
import {
  CollectorAdvert,
  Result as ResultSchema,
  SourceCaps,
  Subjects,
  Task,
  type FailoverEvent,
  type Result,
} from "../../subjects/index.js";
import { killChild, serverAtLeast, until } from "../support/nats-server.js";
import { routable, type TestCoordinatorInit } from "../support/mesh-fixture.js";
import { exited, type RustCollectorOptions } from "./rust.js";
import { useRustMesh } from "./rust-fixture.js";

const PERF = SourceCaps.PERFORMANCE;
let seq = 0;
const mesh = useRustMesh();
const rust = (o: RustCollectorOptions) => mesh.rust(o);

function prefix(): string {
  return `rc${++seq}_${Date.now().toString(36)}`;
}

const coordinator = (p: string, extra: TestCoordinatorInit = {}) =>
  mesh.coordinator({ prefix: p, advertTtlMs: 1500, ...extra });

/** An in-process TypeScript collector answering `{ by: id }`. */
const tsCollector = (p: string, id: string, caps: number): Promise<Collector> =>
  mesh.collector({
    id,
    type: "ts-test",
    capabilities: caps,
    prefix: p,
    ttlMs: 1500,
    handler: () => ({ by: id }),
  });

describe("rust collector - beside TypeScript collectors under a real Coordinator", () => {
  it("rust collector - the coordinator routes PERFORMANCE tasks to it by capability, from its advert", async () => {
    const p = prefix();
    await rust({ id: "rs-perf", prefix: p });
    await tsCollector(p, "ts-proc", SourceCaps.PROCESS);
    const coord = await coordinator(p);
    await routable(coord, ["rs-perf", "ts-proc"]);
    expect(coord.router.get("rs-perf")?.advert).toMatchObject({
      type: "perfmond-rs",
      capabilities: PERF | SourceCaps.SYSTEM_WIDE,
      health: "healthy",
    });
    const perf = await Promise.all(
      Array.from({ length: 10 }, () => coord.submit({ requiredCapabilities: "PERFORMANCE" })),
    );
    for (const r of perf) {
      expect(r.status).toBe("complete");
      expect(r.results[0]).toMatchObject({ collectorId: "rs-perf", status: "ok", final: true });
      const sample = r.results[0]?.payload as Record<string, number>;
      expect(sample.load1).toBeGreaterThanOrEqual(0);
      expect(sample.memTotalKb).toBeGreaterThan(0);
    }
    const proc = await coord.submit({ requiredCapabilities: "PROCESS" });
    expect(proc.results[0]?.collectorId).toBe("ts-proc");
    // The Rust collector started first and made the bucket, as the TypeScript side would.
    const status = await (await new Kvm(mesh.nc).open(new Subjects(p).bucket())).status();
    expect({ ttl: status.ttl, history: status.history, storage: status.storage }).toEqual({
      ttl: 1500,
      history: 1,
      storage: "file",
    });
    expect(status.markerTTL).toBe(serverAtLeast("2.11") ? 1500 : 0);
  });

  it("rust collector - a fan-out (mode all) gets results from Rust and TypeScript collectors", async () => {
    const p = prefix();
    // The coordinator makes the bucket here; the Rust collectors bind it.
    const coord = await coordinator(p);
    await rust({ id: "rs-a", prefix: p });
    await rust({ id: "rs-b", prefix: p });
    await tsCollector(p, "ts-perf", PERF);
    await routable(coord, ["rs-a", "rs-b", "ts-perf"]);
    const r = await coord.submit({ requiredCapabilities: PERF }, { mode: "all", timeoutMs: 5000 });
    expect(r.status).toBe("complete");
    expect(r.results.map((x) => x.collectorId).sort()).toEqual(["rs-a", "rs-b", "ts-perf"]);
    expect(r.results.find((x) => x.collectorId === "ts-perf")?.payload).toEqual({ by: "ts-perf" });
    expect(
      typeof (r.results.find((x) => x.collectorId === "rs-a")?.payload as { load1: number }).load1,
    ).toBe("number");
  });

  it("rust collector - a streamed task arrives complete and in order through the coordinator", async () => {
    const p = prefix();
    await rust({ id: "rs-stream", prefix: p });
    const coord = await coordinator(p);
    await routable(coord, ["rs-stream"]);
    const got: Result[] = [];
    for await (const r of coord.submitStream({
      requiredCapabilities: PERF,
      payload: { stream: 40, intervalMs: 2 },
    })) {
      got.push(r);
    }
    expect(got.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(got.filter((r) => r.final).map((r) => r.seq)).toEqual([39]);
    expect(got.every((r) => r.collectorId === "rs-stream" && r.attempt === 0)).toBe(true);
    expect(got.map((r) => (r.payload as { sample: number }).sample)).toEqual(got.map((r) => r.seq));
  });

  it("rust collector - SIGKILLed with tasks in flight: they fail over to a TypeScript collector, none lost", async () => {
    const p = prefix();
    const victim = await rust({ id: "rs-victim", prefix: p, maxConcurrency: 50 });
    await mesh.child({ id: "ts-survivor", caps: PERF, prefix: p, ttlMs: 1500 });
    const coord = await coordinator(p, { attemptTimeoutMs: 3000, strategy: "round-robin" });
    await routable(coord, ["rs-victim", "ts-survivor"]);
    const failovers: FailoverEvent[] = [];
    const off = coord.onEvent((e) => {
      if (e.kind === "failover") failovers.push(e.event);
    });
    mesh.cleanup(() => Promise.resolve(off()));
    const submitted = 40;
    let completed = 0;
    const all = Array.from({ length: submitted }, (_, i) =>
      coord
        .submit(
          { requiredCapabilities: PERF, payload: { delayMs: 2000, i } },
          { timeoutMs: 15_000 },
        )
        .then((r) => {
          if (r.status === "complete") completed++;
          return r;
        }),
    );
    await until(
      () => coord.balancer.tasksOf("rs-victim").length >= 10,
      5000,
      "tasks in flight on Rust",
    );
    const inFlight = new Set(coord.balancer.tasksOf("rs-victim"));
    await killChild(victim);
    const results = await Promise.all(all);
    const lost = results.filter((r) => r.status !== "complete").length;
    expect({ submitted, completed, lost }).toEqual({ submitted, completed: submitted, lost: 0 });
    const moved = results.filter((r) => r.results[0] && inFlight.has(r.results[0].taskId));
    expect(moved.length).toBe(inFlight.size);
    for (const r of moved) {
      expect(r.results).toHaveLength(1);
      expect(r.results[0]?.collectorId).toBe("ts-survivor");
    }
    expect(failovers.some((f) => f.failedCollectorId === "rs-victim")).toBe(true);
    expect(coord.router.findCapable(PERF).map((c) => c.id)).toEqual(["ts-survivor"]);
  }, 30_000);

  it("rust collector - SIGTERM drains: unavailable, STOPPED for new work, in-flight finished, advert deleted, exit 0", async () => {
    const p = prefix();
    const subjects = new Subjects(p);
    const child = await rust({
      id: "rs-drain",
      prefix: p,
      ttlMs: 60_000,
      heartbeatMs: 100,
      drainGraceMs: 10_000,
    });
    const coord = await coordinator(p, { advertTtlMs: 60_000 });
    await routable(coord, ["rs-drain"]);
    const kv = await new Kvm(mesh.nc).open(subjects.bucket());
    const seen: string[] = [];
    const watch = await kv.watch({ key: "rs-drain" });
    mesh.cleanup(() => Promise.resolve(watch.stop()));
    void (async () => {
      for await (const e of watch) {
        try {
          seen.push(e.operation === "PUT" ? decode(CollectorAdvert, e.value).health : e.operation);
        } catch (err) {
          seen.push(`invalid: ${String(err)}`);
        }
      }
    })();
    const slow = Array.from({ length: 3 }, () =>
      coord.submit(
        { requiredCapabilities: PERF, payload: { delayMs: 1500 } },
        { timeoutMs: 10_000 },
      ),
    );
    // Running on the collector (its own advert says so), not only sent to it.
    await until(() => coord.router.get("rs-drain")?.advert.inFlight === 3, 5000, "3 tasks running");
    child.kill("SIGTERM");
    await until(() => seen.includes("unavailable"), 3000, "advert unavailable");
    // Sent straight to the draining instance: refused with STOPPED (a coordinator moves it).
    const inbox = mesh.nc.subscribe(`_drain.${p}`, { max: 1 });
    const now = Date.now();
    const late: Task = {
      taskId: "late-1",
      correlationId: "late-1",
      requiredCapabilities: PERF,
      domain: "performance",
      priority: 1,
      createdAt: now,
      deadline: now + 5000,
      attempt: 0,
    };
    mesh.nc.publish(subjects.collectorTask("rs-drain"), encode(Task, late), {
      reply: `_drain.${p}`,
    });
    for await (const m of inbox) {
      expect(decode(ResultSchema, m.data).error?.code).toBe("STOPPED");
    }
    const results = await Promise.all(slow);
    for (const r of results) {
      expect(r.status).toBe("complete");
      expect(r.results[0]).toMatchObject({ collectorId: "rs-drain", status: "ok" });
    }
    expect(await exited(child)).toBe(0);
    await until(() => seen.at(-1) === "DEL", 3000, "advert deleted");
    // Deleted, not expired: the TTL is a minute.
    expect(await kv.get("rs-drain")).toMatchObject({ operation: "DEL" });
    await until(() => coord.router.get("rs-drain") === undefined, 3000, "router dropped it");
  }, 30_000);
});
