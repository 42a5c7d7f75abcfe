/**
 * A hunt outlives the coordinator running it: SIGKILL the coordinator process mid-hunt, start
 * another, and the hunt carries on from its claims; no collector runs its part twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMesh, until, type Mesh } from "../support/nats-server.js";
import { CliProcess } from "../cli/cli.js";
import { Hunts } from "../../src/hunts/client.js";
import { SourceCaps } from "../../subjects/index.js";
import { Fleet, claims } from "./support.js";

let mesh: Mesh;
let fleet: Fleet;
const procs: CliProcess[] = [];

beforeAll(async () => {
  mesh = await startMesh();
  fleet = new Fleet(() => mesh.connect());
});
afterAll(async () => {
  await fleet?.stopAll();
  for (const p of procs) await p.stop("SIGKILL");
  await mesh?.dispose();
});

function coordinator(id: string): CliProcess {
  const args = ["coordinator", "--id", id, "--nats-url", mesh.ns.url, "--log-level", "warn"];
  const c = new CliProcess([...args, "--advert-ttl", "1500ms", "--heartbeat", "500ms"]);
  procs.push(c);
  return c;
}

describe("hunts - a coordinator restart", () => {
  it("hunts - SIGKILL of the coordinator mid-hunt: another carries on, no collector runs twice", async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `k${i}`);
    for (const id of ids) await fleet.start(id);
    const first = coordinator("coord-k1");
    const hunts = new Hunts(await mesh.connect("client"), { owner: "ops" });
    const h = await until(
      () =>
        hunts
          .start({
            requiredCapabilities: SourceCaps.PROCESS,
            ratePerSec: 2,
            timeoutMs: 2000,
            huntId: "survives",
          })
          .catch(() => undefined),
      20_000,
      "the first coordinator made the hunt buckets",
    );
    await until(
      async () =>
        [...(await claims(hunts, h.huntId)).values()].filter((c) => c.state === "ok").length >= 3,
      20_000,
      "three parts answered",
    );
    await first.stop("SIGKILL");
    const ranBefore = [...fleet.runs.keys()].length;
    expect(ranBefore).toBeLessThan(8);

    const second = coordinator("coord-k2");
    await fleet.start("late"); // joins after the restart
    const all = [...ids, "late"];
    await until(
      async () => {
        const m = await claims(hunts, h.huntId);
        return all.every((id) => m.has(id) && m.get(id)?.state !== "sent");
      },
      30_000,
      "every part settled after the restart",
    );
    const m = await claims(hunts, h.huntId);
    const states = [...m.values()];
    expect(fleet.twice()).toEqual([]);
    expect(states.every((c) => c.runs === 1)).toBe(true);
    // At most the one part in flight at the kill is lost (its answer went to the dead process):
    // judged from the results stream after its deadline, and not sent again to the same process.
    const notOk = states.filter((c) => c.state !== "ok");
    expect(notOk.length).toBeLessThanOrEqual(1);
    for (const c of notOk) expect([c.state, c.code]).toEqual(["lost", "UNAVAILABLE"]);
    expect(new Set(states.map((c) => c.coordinatorId))).toEqual(new Set(["coord-k1", "coord-k2"]));
    expect(m.get("late")?.coordinatorId).toBe("coord-k2");
    expect(second.running).toBe(true);
  });
});
