/**
 * Durable submissions on a secured mesh: a coordinator owns them under its own identity, a
 * publisher submits as itself and reads its own results, live and stored; another publisher can
 * neither submit in its name nor read its results (observed refusals on a real server).
 */
import { describe, expect, it } from "vitest";
import { MeshClient } from "../../src/client/mesh-client.js";
import { inboxPrefixFor } from "../../src/cli/auth/permissions.js";
import { DEFAULT_PREFIX, SourceCaps, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { IDS, tryPublish, trySubscribe } from "./support.js";
import { securedCollector, securedCoordinator, useSecuredMesh } from "./fixture.js";

const s = new Subjects(DEFAULT_PREFIX);
const mesh = useSecuredMesh();

describe("security - durable submissions under per-party identities", () => {
  it("security - a publisher submits durably as itself and reads its own results; another cannot", async () => {
    const { login: coord, coordinator } = await securedCoordinator(mesh);
    expect(coordinator.durable).toBe(true);
    const { login: col } = await securedCollector(mesh);
    await until(() => coordinator.router.get(IDS.collectorA.name), 5000, "collector routable");

    const pub = await mesh.login(IDS.publisher);
    const client = new MeshClient(pub.nc, {
      owner: IDS.publisher.name,
      inboxPrefix: inboxPrefixFor("publisher", IDS.publisher.name),
    });
    mesh.cleanup(() => client.close());
    expect(await client.durable()).toBe(true);
    const r = await client.submit(
      { requiredCapabilities: SourceCaps.PROCESS, payload: "secret" },
      { correlationId: "job-app-1" },
    );
    expect(r.status).toBe("complete");
    expect(r.results[0]?.payload).toEqual({ echo: "secret" });
    expect((await client.results("job-app-1")).results.map((x) => x.payload)).toEqual([
      { echo: "secret" },
    ]);
    for (const l of [pub, coord, col]) {
      await l.nc.flush();
      expect(l.violations.map((v) => v.message)).toEqual([]);
    }

    // Another publisher: no submit in app's name, no live results of app's, no stored ones.
    const other = await mesh.login(IDS.publisher2);
    expect(await tryPublish(mesh, other, s.submit("normal", IDS.publisher.name))).toBe("refused");
    expect(await trySubscribe(mesh, other, s.resultsOf(IDS.publisher.name))).toBe("refused");
    const spy = new MeshClient(other.nc, {
      owner: IDS.publisher2.name,
      inboxPrefix: inboxPrefixFor("publisher", IDS.publisher2.name),
    });
    mesh.cleanup(() => spy.close());
    await expect(spy.results("job-app-1", IDS.publisher.name)).rejects.toThrow();
    expect(other.violations.some((v) => v.subject.includes("CONSUMER.CREATE"))).toBe(true);
    // Its own durable submit works.
    expect(await tryPublish(mesh, other, s.submit("normal", IDS.publisher2.name))).toBe(
      "delivered",
    );
  });
});
