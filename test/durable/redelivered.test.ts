/**
 * A coordinator that renews ownership too late gets its own submission delivered again while it
 * runs it. The newer delivery is the one it acks; the older is let go, so it neither holds a slot
 * of the priority's room nor stays renewed for ever.
 */
import { describe, expect, it } from "vitest";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";

const mesh = useMesh();

/** Blocks this process (coordinator included) for `ms`: its renewals cannot go out. */
function freeze(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy: no timer, no socket read
  }
}

describe("durable - a submission delivered again to the coordinator running it", () => {
  it("durable - a late renewal's redelivery is taken as the delivery to ack: one held per run, none after", async () => {
    const p = "redeliver";
    let started = 0;
    await mesh.collector({
      id: "slow",
      prefix: p,
      handler: async (payload) => {
        started++;
        await new Promise((r) => setTimeout(r, 1500));
        return { echo: payload };
      },
    });
    // The ack wait is 300 ms: a renewal is due every 100 ms.
    const c = await mesh.coordinator({ prefix: p, durability: { takeoverMs: 300 } });
    await until(() => c.router.get("slow"), 5000, "routable");
    const client = new MeshClient(await mesh.connect("submitter"), { prefix: p, owner: "o" });
    mesh.cleanup(() => client.close());
    const pending = client.submit(
      { requiredCapabilities: SourceCaps.PROCESS, payload: 1 },
      { timeoutMs: 20_000 },
    );
    await until(() => started === 1, 5000, "running on the collector");
    const durable = () => c.stats().coordinator.durable;
    expect(durable()).toMatchObject({ owned: 1, held: 1 });
    // Past the ack wait with no renewal: the stream delivers the submission again.
    freeze(900);
    // The redelivery is read once the process runs again; it replaces the held delivery.
    await until(() => (durable()?.redelivered ?? 0) >= 1, 5000, "delivered again");
    expect(durable()).toMatchObject({ owned: 1, held: 1 });
    const r = await pending;
    expect(r.status).toBe("complete");
    expect(started).toBe(1);
    await until(() => durable()?.owned === 0, 5000, "finished");
    expect(durable()).toMatchObject({ owned: 0, held: 0 });
  });
});
