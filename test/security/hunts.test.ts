/**
 * Hunts on a secured mesh: a publisher starts, reads and stops its own hunt under its identity;
 * another publisher can neither stop it, read its parts or results nor forge a claim (refusals observed on
 * a real server).
 */
import { describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { Hunts } from "../../src/hunts/client.js";
import { readStream } from "../../src/hunts/read.js";
import { DEFAULT_PREFIX, SourceCaps, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { IDS, tryPublish } from "./support.js";
import { securedCollector, securedCoordinator, useSecuredMesh } from "./fixture.js";

const s = new Subjects(DEFAULT_PREFIX);
const mesh = useSecuredMesh();

describe("security - hunts under per-party identities", () => {
  it("security - a publisher runs its own hunt; another cannot stop it, read it or its results, or forge its claims; a collector cannot start one", async () => {
    const { login: coord } = await securedCoordinator(mesh);
    const { login: col } = await securedCollector(mesh);

    const pub = await mesh.login(IDS.publisher);
    const hunts = new Hunts(pub.nc, { owner: IDS.publisher.name });
    const h = await hunts.start({
      requiredCapabilities: SourceCaps.PROCESS,
      payload: "q",
      huntId: "mine",
    });
    await until(
      async () => (await hunts.show("mine")).parts[0]?.state === "ok",
      10_000,
      "the part answered",
    );
    const parts = [];
    for await (const p of hunts.results("mine")) parts.push(p);
    expect(parts.map((p) => [p.collectorId, p.results[0]?.payload])).toEqual([
      [IDS.collectorA.name, { echo: "q" }],
    ]);
    expect((await hunts.list()).map((r) => r.huntId)).toEqual(["mine"]);
    for (const l of [pub, coord, col]) {
      await l.nc.flush();
      expect(l.violations.map((v) => v.message)).toEqual([]);
    }

    // Another publisher, acting in app's name: refused by the server, the hunt unchanged.
    const other = await mesh.login(IDS.publisher2);
    const spy = new Hunts(other.nc, { owner: IDS.publisher.name });
    await expect(spy.stop(h.huntId)).rejects.toThrow();
    await expect(spy.show(h.huntId)).rejects.toThrow();
    expect(other.violations.length).toBeGreaterThan(0);
    expect(await tryPublish(mesh, other, `$KV.${s.huntsBucket()}.${IDS.publisher.name}.mine`)).toBe(
      "refused",
    );
    const claim = `$KV.${s.huntClaimsBucket()}.${IDS.publisher2.name}.x.${IDS.collectorA.name}`;
    expect(await tryPublish(mesh, other, claim)).toBe("refused");
    expect(await tryPublish(mesh, other, s.huntResult(IDS.publisher.name, "mine", "x"))).toBe(
      "refused",
    );
    // Nor read its part results straight from the stream, through the consumer its owner uses.
    const stolen = readStream(
      jetstream(other.nc, { timeout: 2000 }),
      s.huntResultsStream(),
      s.huntResultsOf(IDS.publisher.name, h.huntId),
      false,
    );
    await expect(stolen).rejects.toThrow();
    await other.nc.flush();
    expect(other.violations.map((v) => v.message).join("\n")).toContain(
      `CONSUMER.CREATE.${s.huntResultsStream()}`,
    );
    // A collector has no hunt rights at all: it cannot start one, even in its own name.
    const asCollector = new Hunts(col.nc, { owner: IDS.collectorA.name });
    await expect(asCollector.start({ requiredCapabilities: 1, huntId: "rogue" })).rejects.toThrow();
    expect(await tryPublish(mesh, col, `$KV.${s.huntsBucket()}.${IDS.collectorA.name}.rogue`)).toBe(
      "refused",
    );
    expect((await hunts.show(h.huntId)).record.state).toBe("running");
    // Its own hunt works.
    const own = new Hunts(other.nc, { owner: IDS.publisher2.name });
    await expect(own.start({ requiredCapabilities: 1, huntId: "theirs" })).resolves.toMatchObject({
      createdBy: IDS.publisher2.name,
    });
    // The owner stops its own.
    expect(await hunts.stop(h.huntId)).toMatchObject({ state: "stopped" });
  });
});
