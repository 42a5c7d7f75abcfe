/**
 * The whole server dies: nats-server is SIGKILLed and restarted on the same store while 1,000
 * durable submits run. Whatever was accepted was stored; nothing is lost, and every submitter
 * gets a verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Coordinator } from "../../src/coordinator/index.js";
import { Collector } from "../../src/collector/index.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps } from "../../subjects/index.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";

const PROC = SourceCaps.PROCESS;
const TOTAL = 1000;
const CONCURRENCY = 100;
let mesh: Mesh;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  mesh = await startMesh();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await mesh.dispose();
});

describe("durable - the server dies", () => {
  it("durable - nats-server SIGKILLed and restarted on its store during 1,000 durable submits: 0 lost", async () => {
    const p = "srvkill";
    for (const id of ["r1", "r2"]) {
      const c = new Collector({
        id,
        type: "test",
        capabilities: PROC,
        prefix: p,
        maxConcurrency: 16,
        heartbeatMs: 250,
        ttlMs: 3000,
        handler: async (payload) => {
          await new Promise((r) => setTimeout(r, 20));
          return { echo: payload };
        },
      });
      await c.start(await mesh.connect(id));
      cleanups.push(() => c.stop());
    }
    const coord = new Coordinator({ nc: await mesh.connect("coord"), prefix: p });
    await coord.start();
    cleanups.push(() => coord.stop());
    await until(() => coord.router.get("r1") && coord.router.get("r2"), 5000, "routable");
    const client = new MeshClient(await mesh.connect("submitter"), { prefix: p, owner: "load" });
    cleanups.push(() => client.close());
    expect(await client.durable()).toBe(true);

    let next = 0;
    let done = 0;
    const results: Awaited<ReturnType<MeshClient["submit"]>>[] = [];
    const refused: string[] = [];
    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        try {
          results[i] = await client.submit(
            { requiredCapabilities: PROC, payload: i },
            { timeoutMs: 60_000, correlationId: `r-${i}` },
          );
        } catch (err) {
          refused.push(`${i}: ${String(err)}`);
        }
        done++;
      }
    };
    const load = Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await until(() => done >= 300, 60_000, "300 done");
    await mesh.ns.kill();
    await mesh.ns.restart();
    await load;

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
