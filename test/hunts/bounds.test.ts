/**
 * Hunts live in JetStream bounded by bytes: the records and claims buckets and the results
 * stream carry their byte limits; a records bucket nearly full refuses a new hunt, saying so, and
 * a claims bucket nearly full pauses the hunt with the reason, the last tenth of each kept for
 * the updates of what is there (a stop, a part's outcome).
 */
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { Hunts } from "../../src/hunts/client.js";
import {
  DEFAULT_HUNT_CLAIMS_MAX_BYTES,
  DEFAULT_HUNT_RECORDS_MAX_BYTES,
  DEFAULT_HUNT_RESULTS_MAX_BYTES,
} from "../../src/hunts/options.js";
import { ErrorCode, MeshError } from "../../src/errors.js";
import { SourceCaps, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";
import { untilPaused } from "./support.js";

const mesh = useMesh();

async function maxBytes(prefix: string): Promise<number[]> {
  const jsm = await jetstreamManager(mesh.nc);
  const s = new Subjects(prefix);
  const names = [`KV_${s.huntsBucket()}`, `KV_${s.huntClaimsBucket()}`, s.huntResultsStream()];
  return Promise.all(names.map(async (n) => (await jsm.streams.info(n)).config.max_bytes));
}

describe("hunts - bounded by bytes", () => {
  it("hunts - records, claims and results are each bounded by bytes: the defaults, or as configured", async () => {
    await mesh.coordinator({ prefix: "hb1" });
    expect(await maxBytes("hb1")).toEqual([
      DEFAULT_HUNT_RECORDS_MAX_BYTES,
      DEFAULT_HUNT_CLAIMS_MAX_BYTES,
      DEFAULT_HUNT_RESULTS_MAX_BYTES,
    ]);
    const hunts = { recordsMaxBytes: 8192, claimsMaxBytes: 16_384, resultsMaxBytes: 65_536 };
    await mesh.coordinator({ prefix: "hb2", id: "coord-hb2", hunts });
    expect(await maxBytes("hb2")).toEqual([8192, 16_384, 65_536]);
  });

  it("hunts - a full records bucket refuses a new hunt, saying so; a taken id says it is taken", async () => {
    await mesh.coordinator({ prefix: "hb3", hunts: { recordsMaxBytes: 4096 } });
    const hunts = new Hunts(await mesh.connect("client"), { prefix: "hb3", owner: "alice" });
    const spec = { requiredCapabilities: SourceCaps.PROCESS, payload: "x".repeat(1000) };
    await hunts.start({ ...spec, huntId: "first" });
    await expect(hunts.start({ ...spec, huntId: "first" })).rejects.toThrow(
      "hunt first of alice exists already: choose another id",
    );
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      await hunts.start({ ...spec, huntId: `h${i}` }).catch((err: unknown) => (refused = err));
    }
    expect(refused).toBeInstanceOf(MeshError);
    expect((refused as MeshError).code).toBe(ErrorCode.Overloaded);
    expect((refused as MeshError).message).toMatch(
      /^hunt h\d of alice not stored: the hunts bucket is nearly full \(\d+ of 4096 bytes\) until hunts expire$/,
    );
    // What was stored is intact, and the room kept back lets its owner still stop it.
    expect((await hunts.get("first")).payload).toBe(spec.payload);
    expect(await hunts.stop("first", "room for this")).toMatchObject({ state: "stopped" });
  });

  it("hunts - a full claims bucket pauses the hunt with the reason; no collector runs twice", async () => {
    const coordinator = await mesh.coordinator({
      prefix: "hb4",
      advertTtlMs: 1500,
      hunts: { tickMs: 50, claimsMaxBytes: 6000, roomEveryMs: 100 },
    });
    const runs = new Map<string, number>();
    // About 250 bytes a claim: the bucket takes some 20 before its last tenth.
    const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
    for (const id of ids) {
      await mesh.collector({
        id,
        prefix: "hb4",
        handler: () => void runs.set(id, (runs.get(id) ?? 0) + 1),
      });
    }
    await until(() => coordinator.router.list().length === ids.length, 10_000, "the collectors");
    const hunts = new Hunts(await mesh.connect("client"), { prefix: "hb4", owner: "alice" });
    const h = await hunts.start({
      requiredCapabilities: SourceCaps.PROCESS,
      huntId: "full",
      ratePerSec: 10,
    });
    const paused = await untilPaused(hunts, h.huntId);
    expect(paused.record.reason).toMatch(
      /^the hunt claims bucket is nearly full \(\d+ of 6000 bytes\): no new part starts until hunts expire$/,
    );
    expect(paused.record.changedBy).toBe(coordinator.id);
    expect(paused.parts.length).toBeGreaterThan(0);
    expect(paused.parts.length).toBeLessThan(ids.length);
    // Every stored claim ran once and its outcome fitted in the room kept back; nothing else ran.
    await until(
      async () => (await hunts.show(h.huntId)).parts.every((p) => p.state === "ok"),
      5000,
      "the claimed parts answered",
    );
    const claimed = (await hunts.show(h.huntId)).parts.map((p) => p.collectorId).sort();
    expect([...runs.keys()].sort()).toEqual(claimed);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    // Resumed while still full: it tries again and pauses again, for the same reason.
    await hunts.resume(h.huntId);
    const again = await until(
      async () => {
        const r = await hunts.get(h.huntId);
        return r.state === "paused" && r.epoch === 1 ? r : undefined;
      },
      10_000,
      "paused again",
    );
    expect(again.reason).toMatch(/^the hunt claims bucket is nearly full/);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});
