/**
 * Hunts against a real nats-server: joins and restarts reached once per collector id, the rate
 * limit read back from the claims' timestamps, auto-pause and resume, stop.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMesh, until, type Mesh } from "../support/nats-server.js";
import { Hunts } from "../../src/hunts/client.js";
import type { Coordinator } from "../../src/coordinator/index.js";
import { SourceCaps } from "../../subjects/index.js";
import { Fleet, claims, settled, startCoordinator, untilPaused } from "./support.js";

let mesh: Mesh;
let fleet: Fleet;
let coordinator: Coordinator;
let hunts: Hunts;

beforeEach(async () => {
  mesh = await startMesh();
  fleet = new Fleet(() => mesh.connect());
  coordinator = await startCoordinator(await mesh.connect("coordinator"));
  hunts = new Hunts(await mesh.connect("client"), { owner: "alice" });
});

afterEach(async () => {
  await fleet?.stopAll();
  await coordinator?.stop();
  await mesh?.dispose();
});

describe("hunts - against a real server", () => {
  it("hunts - reaches a collector that joins later and one that comes back, each exactly once", async () => {
    await fleet.start("a", { labels: { zone: "eu" } });
    await fleet.start("b", { labels: { zone: "eu" } });
    await fleet.start("us-1", { labels: { zone: "us" } });
    await until(() => coordinator.router.list().length === 3, 5000, "three collectors");
    await fleet.stop("b"); // offline when the hunt starts
    const h = await hunts.start({
      requiredCapabilities: SourceCaps.PROCESS,
      payload: { q: 1 },
      where: "zone=eu",
      ratePerSec: 100,
    });
    await until(() => settled(hunts, h.huntId, ["a"]), 5000, "a answered");
    // a restarts (a new incarnation of a collector that answered), b comes back, c joins.
    await fleet.stop("a");
    await fleet.start("a", { labels: { zone: "eu" } });
    await fleet.start("b", { labels: { zone: "eu" } });
    await fleet.start("c", { labels: { zone: "eu" } });
    await until(() => settled(hunts, h.huntId, ["a", "b", "c"]), 8000, "b and c answered");
    const m = await claims(hunts, h.huntId);
    expect([...m.keys()].sort()).toEqual(["a", "b", "c"]); // us-1 does not match
    expect(fleet.runs).toEqual(
      new Map([
        ["a", 1],
        ["b", 1],
        ["c", 1],
      ]),
    );
    expect([...m.values()].every((c) => c.runs === 1)).toBe(true);
    // Results stream in: one stored part per collector, with its result.
    const parts = [];
    for await (const p of hunts.results(h.huntId)) parts.push(p);
    expect(parts.map((p) => [p.collectorId, p.state]).sort()).toEqual([
      ["a", "ok"],
      ["b", "ok"],
      ["c", "ok"],
    ]);
    expect(parts.find((p) => p.collectorId === "b")?.results[0]?.payload).toEqual({
      echo: { q: 1 },
      by: "b",
    });
    const v = await hunts.show(h.huntId);
    expect(v.record.createdBy).toBe("alice");
    expect(v.progress).toMatchObject({ targeted: 3, answered: 3, errors: 0, pending: 0 });
  });

  it("hunts - starts at most ratePerSec parts a second, fleet-wide (read from the claims)", async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `r${i}`);
    for (const id of ids) await fleet.start(id);
    await until(() => coordinator.router.list().length === 10, 5000, "ten collectors");
    const h = await hunts.start({ requiredCapabilities: SourceCaps.PROCESS, ratePerSec: 4 });
    // Read while parts are written: each collector once in every view.
    let duplicates = 0;
    await until(
      async () => {
        const v = await hunts.show(h.huntId);
        duplicates += v.parts.length - new Set(v.parts.map((p) => p.collectorId)).size;
        return v.counts.ok === ids.length;
      },
      10_000,
      "every part answered",
    );
    expect(duplicates).toBe(0);
    const sent = [...(await claims(hunts, h.huntId)).values()].map((c) => c.sentAt).sort();
    // A tenth of a second of burst (at least 1) plus 4 a second: at most 5 in any second.
    for (const s of sent)
      expect(sent.filter((x) => x >= s && x < s + 1000).length).toBeLessThanOrEqual(5);
    // Ten parts at 4/s with one in the bucket at the start: the last went out 2.25 s after the first.
    expect((sent.at(-1) ?? 0) - (sent[0] ?? 0)).toBeGreaterThanOrEqual(2200);
    expect(fleet.twice()).toEqual([]);
  });

  it("hunts - pauses itself past its error rate with the reason shown, and resume continues", async () => {
    const bad = ["e1", "e2", "e3", "e4", "e5"];
    for (const id of bad) await fleet.start(id, { fail: true });
    await until(() => coordinator.router.list().length === 5, 5000, "five collectors");
    const h = await hunts.start({
      requiredCapabilities: SourceCaps.PROCESS,
      ratePerSec: 2,
      minParts: 3,
      maxErrorRate: 0.5,
    });
    const paused = await untilPaused(hunts, h.huntId);
    expect(paused.record.reason).toMatch(
      /^error rate 100% \(3 of 3 parts failed or timed out\) passed 50%$/,
    );
    expect(paused.record.changedBy).toBe("coord-h1");
    const before = paused.parts.length;
    expect(before).toBeLessThan(5);
    // Paused: a collector that joins waits.
    await fleet.start("ok-1");
    await until(
      () => hunts.show(h.huntId).then((v) => v.record.matched === 6),
      5000,
      "six matched",
    );
    expect((await claims(hunts, h.huntId)).has("ok-1")).toBe(false);
    const resumed = await hunts.resume(h.huntId);
    expect(resumed).toMatchObject({ state: "running", epoch: 1, changedBy: "alice" });
    await until(() => settled(hunts, h.huntId, ["ok-1"]), 8000, "ok-1 answered after resume");
    await until(() => settled(hunts, h.huntId, bad, ["error"]), 8000, "every bad part ran");
    expect(fleet.twice()).toEqual([]);
    const v = await hunts.show(h.huntId);
    expect(v.counts).toMatchObject({ ok: 1, error: 5 });
  });

  it("hunts - stop ends it: no part starts afterwards; ls lists it with its reason", async () => {
    const h = await hunts.start({ requiredCapabilities: SourceCaps.PROCESS, huntId: "stop-me" });
    const stopped = await hunts.stop(h.huntId, "enough");
    expect(stopped).toMatchObject({ state: "stopped", reason: "enough", changedBy: "alice" });
    await fleet.start("late");
    // The runner has seen the collector (matched counts it) and still sends it nothing.
    const other = await hunts.start({ requiredCapabilities: SourceCaps.PROCESS, huntId: "other" });
    await until(() => settled(hunts, other.huntId, ["late"]), 5000, "the other hunt reached late");
    expect((await hunts.show(h.huntId)).parts).toEqual([]);
    const list = await hunts.list();
    expect(list.map((r) => [r.huntId, r.state])).toEqual([
      ["other", "running"],
      ["stop-me", "stopped"],
    ]);
    await expect(hunts.start({ requiredCapabilities: 1, huntId: "other" })).rejects.toThrow(
      /other/,
    );
  });

  it("hunts - results with follow stream each part as it arrives, a collector's that joins later too", async () => {
    await fleet.start("f1");
    await until(() => coordinator.router.list().length === 1, 5000, "f1");
    const h = await hunts.start({ requiredCapabilities: SourceCaps.PROCESS, huntId: "follow" });
    const seen: string[] = [];
    const it = hunts.results(h.huntId, { follow: true });
    const reading = (async () => {
      for await (const p of it) if (seen.push(`${p.collectorId} ${p.state}`) === 2) break;
    })();
    await until(() => seen.length === 1, 5000, "f1's part streamed");
    await fleet.start("f2"); // after the reader began
    await until(() => seen.length === 2, 5000, "f2's part streamed");
    await reading;
    expect(seen).toEqual(["f1 ok", "f2 ok"]);
  });

  it("hunts - results, show and get of a hunt that does not exist fail, rather than list nothing", async () => {
    const read = async () => {
      for await (const p of hunts.results("nope")) void p;
    };
    await expect(read()).rejects.toThrow("no hunt nope of alice");
    await expect(hunts.show("nope")).rejects.toThrow("no hunt nope of alice");
    await expect(hunts.get("nope")).rejects.toThrow("no hunt nope of alice");
    const h = await hunts.start({ requiredCapabilities: SourceCaps.PROCESS, huntId: "there" });
    await expect(hunts.get("there")).resolves.toMatchObject({
      huntId: h.huntId,
      createdBy: "alice",
    });
  });
});
