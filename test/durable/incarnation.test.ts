/**
 * A collector restarted under the same id is a new incarnation: what the previous process ran is
 * re-sent at once, not after the attempt timeout. A second live collector under one id is refused.
 */
import { describe, expect, it } from "vitest";
import { Collector } from "../../src/collector/index.js";
import { InvalidArgumentError } from "../../src/errors.js";
import { SourceCaps } from "../../subjects/index.js";
import { killChild, until } from "../support/nats-server.js";
import { useMesh } from "../support/mesh-fixture.js";

const PROC = SourceCaps.PROCESS;
const mesh = useMesh({ cleanupAfter: "all" });

describe("durable - collector incarnations", () => {
  it("durable - tasks in flight on a collector restarted under the same id are re-sent at once and complete", async () => {
    const p = "reinc";
    const ttlMs = 30_000;
    const first = await mesh.child({
      id: "w",
      prefix: p,
      delayMs: 120_000,
      ttlMs,
      heartbeatMs: 500,
    });
    const c = await mesh.coordinator({
      name: "coord",
      prefix: p,
      advertTtlMs: ttlMs,
      attemptTimeoutMs: 60_000,
    });
    await until(() => c.router.get("w")?.health === "healthy", 5000, "routable");
    const pending = Array.from({ length: 5 }, (_, i) =>
      c.submit({ requiredCapabilities: PROC, payload: i }, { timeoutMs: 90_000 }),
    );
    await until(() => c.stats().coordinator.inFlight === 5, 5000, "5 in flight on w");
    const startedAt = c.router.get("w")?.advert.startedAt;
    await killChild(first);
    await mesh.child({ id: "w", prefix: p, ttlMs, heartbeatMs: 500 });
    const results = await Promise.all(pending);
    expect(results.map((r) => r.status)).toEqual(Array(5).fill("complete"));
    expect(results.map((r) => r.results[0]?.payload)).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ echo: i, by: "w" })),
    );
    expect(results.every((r) => r.results[0]?.attempt === 1)).toBe(true);
    expect(c.router.get("w")?.advert.startedAt).not.toBe(startedAt);
    // Re-sent because the incarnation changed, not because an attempt timed out.
    expect(c.stats().coordinator).toMatchObject({ attemptTimeouts: 0, resent: 5 });
  });

  it("durable - a second live collector under the same id is refused; the first keeps serving", async () => {
    const p = "dup";
    const mk = () =>
      new Collector({
        id: "twin",
        type: "test",
        capabilities: PROC,
        prefix: p,
        handler: () => "first",
      });
    const a = mk();
    await a.start(await mesh.connect("a"));
    mesh.cleanup(() => a.stop());
    const b = mk();
    await expect(b.start(await mesh.connect("b"))).rejects.toThrow(InvalidArgumentError);
    await expect(b.start(await mesh.connect("b2"))).rejects.toThrow(/in use by a live collector/);
    const c = await mesh.coordinator({ name: "coord-dup", prefix: p });
    await until(() => c.router.get("twin"), 5000, "routable");
    const r = await c.submit({ requiredCapabilities: PROC });
    expect(r.results[0]?.payload).toBe("first");
  });
});
