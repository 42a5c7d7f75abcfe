/**
 * Targeting and completeness against a real nats-server: a selector or named instances narrow a
 * submit to exactly the instances that match, a preference fills matching instances first, and a
 * fan-out lists every targeted instance with how it did (ok, error, timed out, lost, not reached).
 */
import { hostname } from "node:os";
import { describe, expect, it } from "vitest";
import type { TaskHandler } from "../../src/collector/index.js";
import { NoMatchingCollectorError } from "../../src/errors.js";
import { ErrorCode, SelectorError, SourceCaps } from "../../subjects/index.js";
import { killChild, until } from "../support/nats-server.js";
import { routable, useMesh } from "../support/mesh-fixture.js";

const PROC = SourceCaps.PROCESS;
let seq = 0;
const mesh = useMesh();

const prefix = () => `tg${++seq}_${Date.now().toString(36)}`;

const coordinator = (p: string) => mesh.coordinator({ prefix: p, durable: false });

const echo: TaskHandler = (payload, ctx) => ({ payload, by: ctx.collectorId });

const collector = (
  p: string,
  id: string,
  labels: Record<string, string>,
  handler: TaskHandler = echo,
  more: { maxConcurrency?: number; zone?: string } = {},
) => mesh.collector({ id, prefix: p, handler, labels, ...more });

describe("coordinator - targeting", () => {
  it("coordinator - adverts carry the standard labels, and the collector's own win", async () => {
    const p = prefix();
    const coord = await coordinator(p);
    await collector(p, "std", { role: "web", os: "custom" }, echo, { zone: "eu-1" });
    await routable(coord, ["std"]);
    const labels = coord.router.get("std")?.advert.labels;
    expect(labels).toMatchObject({
      host: hostname(),
      kernel: expect.any(String) as unknown,
      zone: "eu-1",
      type: "test",
      role: "web",
      os: "custom",
    });
  });

  it("coordinator - a selector narrows a fan-out to exactly the matching instances", async () => {
    const p = prefix();
    const coord = await coordinator(p);
    await collector(p, "web-1", { role: "web" }, echo, { zone: "eu" });
    await collector(p, "web-2", { role: "web" }, echo, { zone: "us" });
    await collector(p, "db-1", { role: "db" }, echo, { zone: "eu" });
    await collector(p, "bare", {});
    await routable(coord, ["web-1", "web-2", "db-1", "bare"]);

    const web = await coord.submit(
      { requiredCapabilities: PROC },
      { mode: "all", where: "role=web" },
    );
    expect(web.status).toBe("complete");
    expect(web.results.map((r) => r.collectorId).sort()).toEqual(["web-1", "web-2"]);
    expect(web.instances).toEqual([
      { collectorId: "web-1", state: "ok" },
      { collectorId: "web-2", state: "ok" },
    ]);

    const euNotDb = await coord.submit(
      { requiredCapabilities: PROC },
      { mode: "all", where: "zone=eu, role!=db" },
    );
    expect(euNotDb.results.map((r) => r.collectorId)).toEqual(["web-1"]);

    const glob = await coord.submit(
      { requiredCapabilities: PROC },
      { mode: "all", where: "id~*-?" },
    );
    expect(glob.results.map((r) => r.collectorId).sort()).toEqual(["db-1", "web-1", "web-2"]);

    // A `one` submit goes only to a matching instance, every time.
    const ones = await Promise.all(
      Array.from({ length: 20 }, () =>
        coord.submit({ requiredCapabilities: PROC }, { where: "role=db" }),
      ),
    );
    expect(new Set(ones.map((r) => r.results[0]?.collectorId))).toEqual(new Set(["db-1"]));
  });

  it("coordinator - named instances: the unknown one is listed not reached", async () => {
    const p = prefix();
    const coord = await coordinator(p);
    await collector(p, "a", {});
    await collector(p, "b", {});
    await collector(p, "c", {});
    await routable(coord, ["a", "b", "c"]);
    const r = await coord.submit(
      { requiredCapabilities: PROC },
      { mode: "all", collectors: ["a", "c", "ghost"] },
    );
    expect(r.results.map((x) => x.collectorId).sort()).toEqual(["a", "c"]);
    expect(r.instances).toEqual([
      { collectorId: "a", state: "ok" },
      { collectorId: "c", state: "ok" },
      { collectorId: "ghost", state: "not_reached", code: ErrorCode.NoCapableCollector },
    ]);
  });

  it("coordinator - a selector that matches nobody fails at once; a malformed one names its position", async () => {
    const p = prefix();
    const coord = await coordinator(p);
    await collector(p, "only", { role: "web" });
    await routable(coord, ["only"]);
    await expect(
      coord.submit({ requiredCapabilities: PROC }, { mode: "all", where: "role=db" }),
    ).rejects.toBeInstanceOf(NoMatchingCollectorError);
    await expect(
      coord.submit({ requiredCapabilities: PROC }, { collectors: ["nobody"] }),
    ).rejects.toThrow(/matches among nobody/);
    let err: unknown;
    try {
      await coord.submit({ requiredCapabilities: PROC }, { where: "role=web,zone" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SelectorError);
    expect((err as SelectorError).position).toBe(9);
    // Nothing was started by the refused submits.
    expect(coord.stats().coordinator.tasks).toBe(0);
  });

  it("coordinator - prefer fills matching instances while they have room, then the others", async () => {
    const p = prefix();
    const coord = await coordinator(p);
    const gates: (() => void)[] = [];
    const slow: TaskHandler = (_payload, ctx) =>
      new Promise((resolve) => gates.push(() => resolve({ by: ctx.collectorId })));
    await collector(p, "eu-1", {}, slow, { zone: "eu", maxConcurrency: 2 });
    await collector(p, "us-1", {}, slow, { zone: "us", maxConcurrency: 10 });
    await collector(p, "us-2", {}, slow, { zone: "us", maxConcurrency: 10 });
    await routable(coord, ["eu-1", "us-1", "us-2"]);
    const runs = Array.from({ length: 6 }, () =>
      coord.submit({ requiredCapabilities: PROC }, { prefer: "zone=eu", timeoutMs: 10_000 }),
    );
    await until(() => gates.length === 6, 5000, "six tasks running");
    for (const open of gates) open();
    const by = (await Promise.all(runs)).map((r) => r.results[0]?.collectorId);
    // The two eu slots are taken first; the other four run in us.
    expect(by.filter((id) => id === "eu-1")).toHaveLength(2);
    expect(by.filter((id) => id !== "eu-1")).toHaveLength(4);
  });
});

describe("coordinator - completeness", () => {
  it("coordinator - a fan-out lists each instance: ok, error, timed out, lost, not reached", async () => {
    const p = prefix();
    const coord = await coordinator(p);
    await collector(p, "fine", {});
    await collector(p, "broken", {}, () => {
      throw new Error("no such process table");
    });
    await collector(p, "stuck", {}, () => new Promise(() => undefined));
    const doomed = await mesh.child({ id: "doomed", prefix: p, hang: true, ttlMs: 1500 });
    await routable(coord, ["fine", "broken", "stuck", "doomed"]);

    const handle = coord.track(
      { requiredCapabilities: PROC },
      { mode: "all", collectors: ["fine", "broken", "stuck", "doomed", "absent"], timeoutMs: 6000 },
    );
    await until(() => coord.stats().coordinator.inFlight >= 2, 5000, "parts in flight");
    await killChild(doomed); // SIGKILL mid-task: its advert expires, its part is lost
    const r = await handle.done;

    expect(r.status).toBe("partial");
    const byId = Object.fromEntries((r.instances ?? []).map((i) => [i.collectorId, i]));
    expect(byId.fine).toEqual({ collectorId: "fine", state: "ok" });
    expect(byId.broken).toEqual({
      collectorId: "broken",
      state: "error",
      code: ErrorCode.HandlerError,
    });
    expect(byId.stuck?.state).toBe("timed_out");
    expect(byId.doomed).toEqual({
      collectorId: "doomed",
      state: "lost",
      code: ErrorCode.CollectorLost,
    });
    expect(byId.absent?.state).toBe("not_reached");
    expect(r.instances).toHaveLength(5);
  });
});
