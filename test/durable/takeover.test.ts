/**
 * Two coordinators share 1,000 durable submissions; one is SIGKILLed while it owns some of them.
 * Its submissions are redelivered after the takeover time and the survivor sends only the parts
 * without a final result: every submission completes, and no distinct result reaches the
 * submitter twice.
 */
import { describe, expect, it } from "vitest";
import { decode, encode } from "../../src/codec.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps, StatsReply, StatsRequest, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { CliProcess } from "../cli/cli.js";

const PROC = SourceCaps.PROCESS;
const TOTAL = 1000;
const mesh = useMesh({ cleanupAfter: "all" });

function coordinator(p: string, id: string): CliProcess {
  const c = new CliProcess([
    "coordinator",
    "--id",
    id,
    "--prefix",
    p,
    "--nats-url",
    mesh.ns.url,
    "--log-level",
    "warn",
  ]);
  mesh.cleanup(() => c.stop("SIGKILL"));
  return c;
}

async function statsOf(p: string): Promise<StatsReply & { coordinator?: Record<string, unknown> }> {
  const msg = await mesh.nc.request(new Subjects(p).api("stats"), encode(StatsRequest, {}), {
    timeout: 2000,
  });
  return decode(StatsReply, msg.data);
}

describe("durable - a coordinator dies with submissions it owns", () => {
  it("durable - SIGKILL of one of two coordinators during 1,000 durable submits: 1,000 complete, none seen twice", async () => {
    const p = "takeover";
    for (const id of ["c1", "c2", "c3"]) {
      await mesh.child({ id, prefix: p, maxConcurrency: 16, delayMs: 200, ttlMs: 3000 });
    }
    const a = coordinator(p, "coord-a");
    const b = coordinator(p, "coord-b");
    const client = new MeshClient(await mesh.connect("submitter"), { prefix: p, owner: "load" });
    mesh.cleanup(() => client.close());
    await until(() => client.durable(), 20_000, "the durable streams");
    // Both coordinators up and routing: a probe submission completes.
    await until(
      async () =>
        (await client.submit({ requiredCapabilities: PROC }, { timeoutMs: 2000 })).status ===
        "complete",
      30_000,
      "the mesh serves",
    );

    let done = 0;
    const completedAt: number[] = [];
    const all = Array.from({ length: TOTAL }, (_, i) =>
      client
        .submit(
          { requiredCapabilities: PROC, payload: i },
          { timeoutMs: 60_000, correlationId: `job-${i}` },
        )
        .then((r) => {
          done++;
          completedAt.push(Date.now());
          return r;
        }),
    );
    await until(() => done >= TOTAL / 4, 60_000, "a quarter done");
    const killedAt = Date.now();
    await a.stop("SIGKILL");
    // When the survivor starts taking the dead owner's submissions over.
    const takeover = await until(
      async () => {
        const d = (await statsOf(p)).coordinator?.durable as { takeovers: number } | undefined;
        return (d?.takeovers ?? 0) > 0 ? Date.now() - killedAt : undefined;
      },
      30_000,
      "the first takeover",
    );
    const results = await Promise.all(all);

    const complete = results.filter((r) => r.status === "complete").length;
    const seenTwice = results.filter((r) => {
      const keys = r.results.map((x) => `${x.taskId}:${x.seq}`);
      return new Set(keys).size !== keys.length || r.results.length !== 1;
    }).length;
    const lastDone = Math.max(...completedAt);
    const stats = await statsOf(p);
    const durable = stats.coordinator?.durable as { takeovers: number } | undefined;
    console.log(
      `takeover: submitted ${TOTAL}, complete ${complete}, seen twice ${seenTwice}, ` +
        `taken over ${durable?.takeovers} (the first ${takeover} ms after the kill), ` +
        `last completion ${lastDone - killedAt} ms after the kill`,
    );
    expect(complete).toBe(TOTAL);
    expect(seenTwice).toBe(0);
    expect(results.map((r) => (r.results[0]?.payload as { echo: number }).echo)).toEqual(
      Array.from({ length: TOTAL }, (_, i) => i),
    );
    expect(stats.coordinatorId).toBe("coord-b");
    expect(b.running).toBe(true);
  }, 180_000);
});
