/** Durable coordination against a real nats-server: accepted means stored, results stored by id. */
import { describe, expect, it } from "vitest";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { LIBRARY_TIMING, useMesh } from "../support/mesh-fixture.js";

const PROC = SourceCaps.PROCESS;
let runs = 0;
const mesh = useMesh({ cleanupAfter: "all" });

describe("durable - submissions in JetStream", () => {
  it("durable - a submit is stored, run once, and its results are read back by correlation id", async () => {
    const p = "dur1";
    const nc = await mesh.connect("collector");
    await mesh.collector({
      nc,
      id: "w1",
      prefix: p,
      handler: (payload) => {
        runs++;
        return { echo: payload };
      },
      ...LIBRARY_TIMING,
    });
    const c = await mesh.coordinator({ prefix: p });
    expect(c.durable).toBe(true);
    await until(() => c.router.get("w1"), 5000, "routable");

    const client = new MeshClient(await mesh.connect("submitter"), { prefix: p, owner: "alice" });
    mesh.cleanup(() => client.close());
    expect(await client.durable()).toBe(true);
    const r = await client.submit(
      { requiredCapabilities: PROC, payload: "x" },
      { correlationId: "job-1" },
    );
    expect(r).toMatchObject({ correlationId: "job-1", status: "complete", received: 1 });
    expect(r.results[0]?.payload).toEqual({ echo: "x" });
    expect(runs).toBe(1);
    // The coordinator that ran it keeps how it ended, not its results: the stored verdict has them.
    await until(() => c.aggregator.getAggregation("job-1"), 5000, "the run ended");
    expect(c.aggregator.getAggregation("job-1")).toMatchObject({ status: "complete", results: [] });

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

  it("durable - a fan-out whose results all arrived live is not read back from the stream when its verdict comes", async () => {
    const p = "dur2";
    const s = new Subjects(p);
    for (const id of ["f1", "f2", "f3"]) {
      await mesh.collector({ nc: await mesh.connect(id), id, prefix: p, handler: () => id });
    }
    const c = await mesh.coordinator({ prefix: p });
    await until(() => c.router.size === 3, 5000, "three routable");
    // Reading a submission back makes a consumer on the results stream: count the requests.
    const watcher = await mesh.connect("consumer-watch");
    const stream = s.resultsStream();
    let creates = 0;
    for (const subject of [
      `$JS.API.CONSUMER.CREATE.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.>`,
    ]) {
      watcher.subscribe(subject, {
        callback: () => {
          creates++;
        },
      });
    }
    await watcher.flush();

    const client = new MeshClient(await mesh.connect("fan-submitter"), { prefix: p, owner: "bob" });
    mesh.cleanup(() => client.close());
    const r = await client.submit(
      { requiredCapabilities: PROC },
      { mode: "all", correlationId: "fan-1" },
    );
    expect(r.status).toBe("complete");
    expect(r.results.map((x) => x.payload).sort()).toEqual(["f1", "f2", "f3"]);
    // The verdict is stored once the run ends; give it time to reach the client.
    await until(() => c.aggregator.getAggregation("fan-1"), 5000, "the run ended");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(creates).toBe(0);
    // What it stored is there to read (that read is the one consumer).
    expect((await client.results("fan-1")).verdict).toMatchObject({ status: "complete" });
    expect(creates).toBe(1);
  });
});
