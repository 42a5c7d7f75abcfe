/** Durable coordination against a real nats-server: accepted means stored, results stored by id. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Coordinator } from "../../src/coordinator/index.js";
import { Collector } from "../../src/collector/index.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps } from "../../subjects/index.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";

const PROC = SourceCaps.PROCESS;
let mesh: Mesh;
const cleanups: (() => Promise<unknown>)[] = [];
let runs = 0;

beforeAll(async () => {
  mesh = await startMesh();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await mesh.dispose();
});

describe("durable - submissions in JetStream", () => {
  it("durable - a submit is stored, run once, and its results are read back by correlation id", async () => {
    const p = "dur1";
    const nc = await mesh.connect("collector");
    const collector = new Collector({
      id: "w1",
      type: "test",
      capabilities: PROC,
      prefix: p,
      handler: (payload) => {
        runs++;
        return { echo: payload };
      },
    });
    await collector.start(nc);
    cleanups.push(() => collector.stop());
    const c = new Coordinator({ nc: await mesh.connect("coordinator"), prefix: p });
    await c.start();
    cleanups.push(() => c.stop());
    expect(c.durable).toBe(true);
    await until(() => c.router.get("w1"), 5000, "routable");

    const client = new MeshClient(await mesh.connect("submitter"), { prefix: p, owner: "alice" });
    cleanups.push(() => client.close());
    expect(await client.durable()).toBe(true);
    const r = await client.submit(
      { requiredCapabilities: PROC, payload: "x" },
      { correlationId: "job-1" },
    );
    expect(r).toMatchObject({ correlationId: "job-1", status: "complete", received: 1 });
    expect(r.results[0]?.payload).toEqual({ echo: "x" });
    expect(runs).toBe(1);

    const stored = await client.results("job-1");
    expect(stored.results.map((x) => x.payload)).toEqual([{ echo: "x" }]);
    expect(stored.verdict).toMatchObject({ status: "complete", correlationId: "job-1" });

    // The same id again is the same submission: not run twice, same verdict.
    const again = await client.submit(
      { requiredCapabilities: PROC, payload: "x" },
      { correlationId: "job-1" },
    );
    expect(again.status).toBe("complete");
    expect(again.results.map((x) => x.payload)).toEqual([{ echo: "x" }]);
    expect(runs).toBe(1);

    // A library submit on the coordinator itself is durable too.
    const lib = await c.submit({ requiredCapabilities: PROC, payload: "y" }, { mode: "all" });
    expect(lib.status).toBe("complete");
    expect(lib.results.map((x) => x.collectorId)).toEqual(["w1"]);
  });
});
