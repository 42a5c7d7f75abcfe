/**
 * Hostile input costs little, proven with a flood: 20,000 hostile messages at 2,000 a second
 * (deep nesting, huge strings, wrong types, cut short, valid-looking forgeries) over every subject
 * a mesh process reads (direct task subjects, the plain path, the result inbox, the api, advert
 * puts, the submissions stream, a submitter's results subject), from a plain connection with full
 * rights on an unauthenticated server, while valid traffic runs through a durable client and the
 * coordinator's in-memory path. Nothing crashes, no valid task fails, every hostile message that
 * asked for an answer got one, and each is counted where it landed. Latency is the bench's to
 * measure (`npm run bench -- --only flood`), not this test's.
 */
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Coordinator } from "../../src/coordinator/index.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps, type AggregatedResult } from "../../subjects/index.js";
import { killChild, spawnCollector, startMesh, until, type Mesh } from "../support/nats-server.js";
import { HostileFlood, type FloodCounts } from "../../bench/flood.js";

const PROC = SourceCaps.PROCESS;
const PREFIX = "flood";
const IDS = ["flood-a", "flood-b"];
const MESSAGES = 20_000;
const PER_SECOND = 2_000;

let mesh: Mesh;
const children: ChildProcess[] = [];
let coord: Coordinator;
let client: MeshClient;

beforeAll(async () => {
  mesh = await startMesh();
  for (const id of IDS) {
    children.push(await spawnCollector(mesh.ns.url, { id, caps: PROC, prefix: PREFIX }));
  }
  coord = new Coordinator({ nc: await mesh.connect("coordinator"), prefix: PREFIX, id: "coord-f" });
  await coord.start();
  client = new MeshClient(await mesh.connect("valid"), { prefix: PREFIX, owner: "valid" });
  await until(
    () => IDS.every((id) => coord.router.get(id)?.health === "healthy"),
    10_000,
    "routable",
  );
}, 60_000);
afterAll(async () => {
  await client?.close();
  await coord?.stop();
  for (const c of children) await killChild(c);
  await mesh?.dispose();
});

interface Valid {
  submitted: number;
  failed: AggregatedResult[];
}

/** Valid submits in `lanes` loops until `done()`: every one must complete with its echo. */
async function validTraffic(
  submit: (i: number) => Promise<AggregatedResult>,
  lanes: number,
  done: () => boolean,
): Promise<Valid> {
  const v: Valid = { submitted: 0, failed: [] };
  const lane = async () => {
    while (!done()) {
      const i = v.submitted++;
      const r = await submit(i);
      const payload = r.results[0]?.payload as { echo?: unknown } | undefined;
      if (r.status !== "complete" || payload?.echo !== i) v.failed.push(r);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return v;
}

describe("security - a hostile flood costs little", () => {
  it("security - 20,000 hostile messages at 2,000/s over every inbound subject: no crash, no valid task failed, each counted", async () => {
    const flood = new HostileFlood(await mesh.connect("attacker"), {
      prefix: PREFIX,
      coordinatorId: coord.id,
      collectorIds: IDS,
      owner: "valid",
    });
    let counts: FloodCounts | undefined;
    const flooding = flood.run(MESSAGES, PER_SECOND).then((c) => (counts = c));
    const over = () => counts !== undefined;
    const spec = (i: number) => ({ requiredCapabilities: PROC, payload: i });
    const [durable, fast] = await Promise.all([
      validTraffic((i) => client.submit(spec(i), { timeoutMs: 10_000 }), 2, over),
      validTraffic((i) => coord.submit(spec(i), { durable: false, timeoutMs: 10_000 }), 2, over),
      flooding,
    ]);
    const c = counts as FloodCounts;
    expect(c.sent).toBe(MESSAGES);
    expect(Object.values(c.bySubject).every((n) => n >= MESSAGES / 8)).toBe(true);

    // No valid task failed, on either path.
    expect(durable.failed).toEqual([]);
    expect(fast.failed).toEqual([]);
    expect(durable.submitted).toBeGreaterThan(0);
    expect(fast.submitted).toBeGreaterThan(0);

    // Every hostile task and api request got its one typed answer.
    await until(() => flood.replies >= c.withReply, 20_000, "answers to the flood");
    expect(flood.replies).toBe(c.withReply);

    // Nothing crashed: the collectors' processes live and heartbeat, the coordinator serves.
    expect(children.map((ch) => ch.exitCode)).toEqual([null, null]);
    expect(IDS.map((id) => coord.router.get(id)?.health)).toEqual(["healthy", "healthy"]);
    expect(
      coord.router
        .list()
        .map((x) => x.id)
        .sort(),
    ).toEqual(IDS);

    // Whatever was sent on the subjects of tasks nobody sent (forged results, garbage) changed
    // nothing and was counted, unread; the api's share and the advert puts are counted invalid.
    const stats = coord.stats();
    // (A real result that arrives after its task ended, when the machine is slow, counts here too.)
    const forged = c.bySubject.inbox;
    expect(c.byTarget["inbox:valid-looking"]).toBeGreaterThan(0);
    expect(stats.coordinator.rejected["not-in-flight"]).toBeGreaterThanOrEqual(forged);
    const watcherInvalid = stats.routing.invalid as number;
    expect(watcherInvalid).toBeGreaterThan(0);
    expect(watcherInvalid).toBeLessThanOrEqual(c.bySubject.advert);
    expect(coord.invalidMessages() - watcherInvalid).toBeGreaterThan(0);
    expect(stats.coordinator.failovers).toBe(0);
    flood.stop();
  }, 90_000);
});
