/**
 * Durable coordination across a server upgrade, on one store: the streams that a server before
 * 2.11 made keep taking submissions once it runs 2.11+ (a submitter that sent `Nats-TTL` to a
 * stream without per-message TTL would have every submit refused), and the first coordinator on
 * the new server gives the submissions stream per-message TTL, after which a submission nobody
 * takes leaves it at its deadline as on a stream the new server made.
 */
import { afterAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { Collector } from "../../src/collector/index.js";
import { Coordinator } from "../../src/coordinator/index.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps, Subjects } from "../../subjects/index.js";
import { NatsServer, meshOn, until } from "../support/nats-server.js";
import { newestServer, oldestServer } from "../support/tools.js";

const PROC = SourceCaps.PROCESS;
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe("durable - a server upgrade from before 2.11 to 2.11+", () => {
  it("durable - streams made by the old server keep taking submissions on the new one and get per-message TTL", async () => {
    const oldest = oldestServer();
    const newest = newestServer();
    const mesh = await meshOn(await NatsServer.start({ binary: oldest.path }));
    cleanups.push(() => mesh.dispose());
    const open = (name: string) => mesh.connect(name);
    const p = "dupgrade";
    const s = new Subjects(p);
    const stream = async () =>
      (await jetstreamManager(await open("check"))).streams.info(s.submissionsStream());
    const takesTtl = async () => (await stream()).config.allow_msg_ttl === true;
    const collector = new Collector({
      id: "proc-1",
      type: "test",
      prefix: p,
      capabilities: PROC,
      heartbeatMs: 250,
      ttlMs: 3000,
      handler: () => Promise.resolve({ host: "h1" }),
    });
    await collector.start(await open("proc-1"));
    cleanups.push(() => collector.stop());
    const coordinator = async (name: string) => {
      const c = new Coordinator({ nc: await open(name), prefix: p, durable: true });
      await c.start();
      cleanups.push(() => c.stop());
      await until(() => c.router.get("proc-1")?.health === "healthy", 5000, "routable");
      return c;
    };

    // On the old server: the coordinator makes the streams, without per-message TTL.
    const before = await coordinator("coord-before");
    const first = new MeshClient(await open("first"), { prefix: p, owner: "first" });
    cleanups.push(() => first.close());
    expect((await first.submit({ requiredCapabilities: PROC })).status).toBe("complete");
    expect(await takesTtl()).toBe(false);
    await before.stop();

    await mesh.ns.restart({ binary: newest.path });
    expect(await mesh.ns.version()).toBe(newest.version);

    // A submitter that binds the stream before any coordinator upgraded it: its submit is stored
    // (no TTL asked of a stream that has none) and runs once a coordinator comes.
    const early = new MeshClient(await open("early"), { prefix: p, owner: "early" });
    cleanups.push(() => early.close());
    expect(await early.durable()).toBe(true);
    const pending = early.submit({ requiredCapabilities: PROC }, { timeoutMs: 15_000 });
    const after = await coordinator("coord-after");
    const r = await pending;
    expect(r.status).toBe("complete");
    expect(r.results.map((x) => x.collectorId)).toEqual(["proc-1"]);
    // That coordinator gave the old stream per-message TTL.
    expect(await takesTtl()).toBe(true);

    // Now a submission nobody takes leaves the stream at its deadline, as on a stream 2.11+ made.
    await after.stop();
    const late = new MeshClient(await open("late"), { prefix: p, owner: "late" });
    cleanups.push(() => late.close());
    expect((await late.submit({ requiredCapabilities: PROC }, { timeoutMs: 1000 })).status).toBe(
      "timed_out",
    );
    await until(async () => (await stream()).state.messages === 0, 5000, "the submission expired");
  }, 60_000);
});
