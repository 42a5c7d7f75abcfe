/**
 * Fan-outs to many collectors against a real nats-server: 1,000 collectors in this process on one
 * connection, every part answered once; results stream to the submitter while the fan-out runs,
 * on the in-memory path and the durable one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { Coordinator } from "../../src/coordinator/index.js";
import { Collector, type TaskHandler } from "../../src/collector/index.js";
import { SourceCaps, type Result } from "../../subjects/index.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";

const PROC = SourceCaps.PROCESS;
const N = 1000;
let mesh: Mesh;
let fleet: Collector[];
let coordinator: Coordinator;
let release: () => void = () => undefined;
let gate: Promise<void> = Promise.resolve();

beforeAll(async () => {
  mesh = await startMesh();
  const nc: NatsConnection = await mesh.connect("fleet");
  const handler: TaskHandler = async (payload, ctx) => {
    if (ctx.collectorId === "c0999") await gate; // the last one waits when told to
    return { payload, by: ctx.collectorId };
  };
  fleet = Array.from(
    { length: N },
    (_, i) =>
      new Collector({
        id: `c${String(i).padStart(4, "0")}`,
        type: "test",
        capabilities: PROC,
        prefix: "fan",
        plainPath: false,
        handler,
      }),
  );
  await Promise.all(fleet.map((c) => c.start(nc)));
  coordinator = new Coordinator({ nc: await mesh.connect("coordinator"), prefix: "fan" });
  await coordinator.start();
  await until(() => coordinator.router.routable === N, 20_000, "the fleet discovered");
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  await Promise.allSettled((fleet ?? []).map((c) => c.stop()));
  await mesh?.dispose();
}, 60_000);

describe("coordinator - fan-out to many", () => {
  for (const durable of [false, true]) {
    it(`coordinator - a fan-out to ${N} collectors gets one result from each (durable ${durable})`, async () => {
      expect(coordinator.durable).toBe(true);
      const r = await coordinator.submit(
        { requiredCapabilities: PROC, payload: durable ? "d" : "m" },
        { mode: "all", timeoutMs: 30_000, durable },
      );
      expect(r.status).toBe("complete");
      expect(r.received).toBe(N);
      const by = new Set(r.results.map((x) => x.collectorId));
      expect(by.size).toBe(N);
      expect(r.results.every((x) => x.status === "ok")).toBe(true);
    }, 60_000);

    it(`coordinator - a fan-out's results stream to the submitter while it runs (durable ${durable})`, async () => {
      gate = new Promise<void>((r) => (release = r));
      const it = coordinator.submitStream(
        { requiredCapabilities: PROC, payload: "s" },
        { mode: "all", timeoutMs: 30_000, durable },
      );
      const seen: Result[] = [];
      for await (const r of it) {
        seen.push(r);
        // Every part but the held one has streamed in before that one answers.
        if (seen.length === N - 1) {
          expect(seen.some((x) => x.collectorId === "c0999")).toBe(false);
          release();
        }
      }
      expect(seen).toHaveLength(N);
      expect(seen[N - 1]?.collectorId).toBe("c0999");
    }, 60_000);
  }
});
