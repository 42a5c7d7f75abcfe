/**
 * The whole server dies: nats-server is SIGKILLed and restarted on the same store while 1,000
 * durable submits run. Whatever was accepted was stored; nothing is lost, and every submitter
 * gets a verdict.
 */
import { describe, expect, it } from "vitest";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { durableLoad } from "../support/durable-load.js";

const PROC = SourceCaps.PROCESS;
const TOTAL = 1000;
const CONCURRENCY = 100;
const mesh = useMesh({ cleanupAfter: "all" });

describe("durable - the server dies", () => {
  it("durable - nats-server SIGKILLed and restarted on its store during 1,000 durable submits: 0 lost", async () => {
    const p = "srvkill";
    for (const id of ["r1", "r2"]) {
      await mesh.collector({
        id,
        prefix: p,
        maxConcurrency: 16,
        handler: async (payload) => {
          await new Promise((r) => setTimeout(r, 20));
          return { echo: payload };
        },
      });
    }
    const coord = await mesh.coordinator({ name: "coord", prefix: p });
    await until(() => coord.router.get("r1") && coord.router.get("r2"), 5000, "routable");
    const client = new MeshClient(await mesh.connect("submitter"), { prefix: p, owner: "load" });
    mesh.cleanup(() => client.close());
    expect(await client.durable()).toBe(true);

    const load = durableLoad(client, {
      total: TOTAL,
      workers: CONCURRENCY,
      requiredCapabilities: PROC,
      idPrefix: "r-",
    });
    const { results, refused } = load;
    await until(() => load.done() >= 300, 60_000, "300 done");
    await mesh.ns.kill();
    await mesh.ns.restart();
    await load.finished;

    const complete = results.filter((r) => r?.status === "complete").length;
    const verdicts = results.filter((r) => r !== undefined).length;
    const seenTwice = results.filter((r) => r !== undefined && r.results.length !== 1).length;
    console.log(
      `server restart: submitted ${TOTAL}, verdicts ${verdicts}, complete ${complete}, ` +
        `refused at submit ${refused.length}, seen twice ${seenTwice}`,
    );
    expect(refused).toEqual([]);
    expect(complete).toBe(TOTAL);
    expect(seenTwice).toBe(0);
  }, 180_000);
});
