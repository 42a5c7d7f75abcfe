/**
 * A submitter never waits past its deadline without a verdict: when nothing answers it gives the
 * verdict itself a grace period after the deadline, saying why; on 2.11+ a submission nobody took
 * leaves the stream at its deadline (per-message TTL), before that a coordinator that takes it
 * late gives it a timed-out verdict at once.
 */
import { describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { Coordinator } from "../../src/coordinator/index.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { ErrorCode, SourceCaps, Subjects } from "../../subjects/index.js";
import { serverAtLeast, until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { natsServerVersion } from "../../src/server/nats-server.js";

const PROC = SourceCaps.PROCESS;
const mesh = useMesh({ cleanupAfter: "all" });

/** Makes the durable streams (a coordinator does), then stops that coordinator. */
async function streamsOnly(p: string): Promise<void> {
  const c = new Coordinator({ nc: await mesh.connect(`maker-${p}`), prefix: p, durable: true });
  await c.start();
  await c.stop();
}

describe(`durable - verdicts by the deadline on nats-server ${natsServerVersion() ?? ""}`, () => {
  it("durable - with no coordinator left, the submitter gives its own verdict a second after the deadline", async () => {
    const p = "noverdict";
    await streamsOnly(p);
    const client = new MeshClient(await mesh.connect("sub"), { prefix: p, owner: "alone" });
    mesh.cleanup(() => client.close());
    const t0 = Date.now();
    const r = await client.submit({ requiredCapabilities: PROC }, { timeoutMs: 1500 });
    const waited = Date.now() - t0;
    expect(r.status).toBe("timed_out");
    expect(r.error).toMatchObject({ code: ErrorCode.Unavailable });
    expect(r.error?.message).toMatch(/no verdict from the mesh by the deadline/);
    // By the deadline plus the grace period (1 s) plus one sweep of the client (100 ms).
    expect(waited).toBeGreaterThanOrEqual(1500 + 1000);
  });

  it(
    serverAtLeast("2.11")
      ? "durable - 2.11+: a submission nobody took leaves the stream at its deadline (per-message TTL)"
      : "durable - before 2.11: a submission nobody took stays, and a coordinator that takes it late times it out at once",
    async () => {
      const p = "ttl";
      await streamsOnly(p);
      const s = new Subjects(p);
      const jsm = await jetstreamManager(mesh.nc);
      const client = new MeshClient(await mesh.connect("sub-ttl"), { prefix: p, owner: "late" });
      mesh.cleanup(() => client.close());
      const r = await client.submit(
        { requiredCapabilities: PROC },
        { timeoutMs: 1000, correlationId: "too-late" },
      );
      expect(r.status).toBe("timed_out");
      const waiting = async () => (await jsm.streams.info(s.submissionsStream())).state.messages;
      if (serverAtLeast("2.11")) {
        await until(async () => (await waiting()) === 0, 5000, "the submission expired");
        expect((await client.results("too-late")).verdict).toBeUndefined();
      } else {
        expect(await waiting()).toBe(1);
        await mesh.coordinator({ name: "late-coord", prefix: p });
        await until(async () => (await waiting()) === 0, 5000, "taken and acked");
        const stored = await client.results("too-late");
        expect(stored.verdict).toMatchObject({ status: "timed_out", correlationId: "too-late" });
        expect(stored.results).toEqual([]);
      }
    },
  );
});
