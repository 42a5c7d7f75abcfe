import type { ChildProcess } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { Coordinator } from "../../src/coordinator/index.js";
import { Collector } from "../../src/collector/index.js";
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
import {
  killChild,
  serverAtLeast,
  spawnCollector,
  startMesh,
  until,
  type Mesh,
} from "../support/nats-server.js";
import {
  BUILD_TIMEOUT_MS,
  buildRustCollector,
  exited,
  spawnRustCollector,
  type RustCollectorOptions,
} from "./rust.js";

const PERF = SourceCaps.PERFORMANCE;
let bin: string;
let mesh: Mesh;
let seq = 0;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  bin = buildRustCollector();
  mesh = await startMesh();
}, BUILD_TIMEOUT_MS);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  await mesh?.dispose();
});

function prefix(): string {
  return `rc${++seq}_${Date.now().toString(36)}`;
}

async function rust(o: RustCollectorOptions): Promise<ChildProcess> {
  const child = await spawnRustCollector(bin, mesh.ns.url, o);
  cleanups.push(() => killChild(child));
  return child;
}

async function coordinator(
  p: string,
  extra: Partial<ConstructorParameters<typeof Coordinator>[0]> = {},
) {
  const nc = await mesh.connect("coordinator");
  const c = new Coordinator({ nc, prefix: p, advertTtlMs: 1500, ...extra });
  await c.start();
  cleanups.push(() => c.stop());
  return c;
}

/** An in-process TypeScript collector answering `{ by: id }`. */
async function tsCollector(p: string, id: string, caps: number): Promise<Collector> {
  const nc: NatsConnection = await mesh.connect(id);
  const c = new Collector({
    id,
    type: "ts-test",
    capabilities: caps,
    prefix: p,
    heartbeatMs: 250,
    ttlMs: 1500,
    handler: () => ({ by: id }),
  });
  await c.start(nc);
  cleanups.push(async () => {
    await c.stop();
    await nc.close();
  });
  return c;
}

async function routable(c: Coordinator, ids: string[]): Promise<void> {
  await until(
    () => ids.every((id) => c.router.get(id)?.health === "healthy"),
    5000,
    `${ids.join(", ")} routable`,
  );
}

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
    const survivor = await spawnCollector(mesh.ns.url, {
      id: "ts-survivor",
      caps: PERF,
      prefix: p,
      heartbeatMs: 250,
      ttlMs: 1500,
    });
    cleanups.push(() => killChild(survivor));
    const coord = await coordinator(p, { attemptTimeoutMs: 3000, strategy: "round-robin" });
    await routable(coord, ["rs-victim", "ts-survivor"]);
    const failovers: FailoverEvent[] = [];
    const off = coord.onEvent((e) => {
      if (e.kind === "failover") failovers.push(e.event);
    });
    cleanups.push(() => Promise.resolve(off()));
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
    cleanups.push(() => Promise.resolve(watch.stop()));
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
