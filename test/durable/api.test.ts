/**
 * What a submitter sees through the api and the client: results larger than one message arrive
 * whole (streamed replies, or the durable results subject), a coordinator that dies in fast mode
 * is noticed from its stopped keepalives, and `collector-mesh results` reads stored results.
 */
import { describe, expect, it } from "vitest";
import { MeshClient } from "../../src/client/mesh-client.js";
import {
  ErrorCode,
  SourceCaps,
  StatusReply,
  StatusRequest,
  Subjects,
} from "../../subjects/index.js";
import { decode, encode } from "../../src/codec.js";
import { until } from "../support/nats-server.js";
import { LIBRARY_TIMING, useMesh } from "../support/mesh-fixture.js";
import { CliProcess, cli } from "../cli/cli.js";

const PERF = SourceCaps.PERFORMANCE;
const CHUNK = "x".repeat(20 * 1024);
const mesh = useMesh({ cleanupAfter: "all" });

async function streamingCollector(p: string, id: string): Promise<void> {
  await mesh.collector({
    id,
    capabilities: PERF,
    prefix: p,
    handler: async function* (payload) {
      const n = (payload as { n: number }).n;
      for (let i = 0; i < n; i++) {
        await Promise.resolve();
        yield { i, chunk: CHUNK };
      }
    },
    ...LIBRARY_TIMING,
  });
}

describe("api - what a submitter receives", () => {
  it("api - 100 streamed results of 20 KB (2 MB) reach a submitter whole, in memory and durably", async () => {
    const p = "big";
    await streamingCollector(p, "s1");
    const coord = await mesh.coordinator({ name: "coord", prefix: p });
    await until(() => coord.router.get("s1"), 5000, "routable");
    for (const durable of [false, true]) {
      const client = new MeshClient(await mesh.connect(`sub-${durable}`), { prefix: p, durable });
      mesh.cleanup(() => client.close());
      const r = await client.submit({ requiredCapabilities: PERF, payload: { n: 100 } });
      expect(r.status, `durable ${durable}`).toBe("complete");
      expect(r.results).toHaveLength(100);
      expect(r.results.map((x) => (x.payload as { i: number }).i)).toEqual(
        Array.from({ length: 100 }, (_, i) => i),
      );
      expect(r.results.every((x) => (x.payload as { chunk: string }).chunk === CHUNK)).toBe(true);
    }
  });

  it("api - in fast mode a submitter learns within seconds that its coordinator died", async () => {
    const p = "dies";
    const slow = await mesh.collector({
      id: "slow",
      capabilities: PERF,
      prefix: p,
      handler: () => new Promise((r) => setTimeout(() => r("late"), 30_000)),
      drainGraceMs: 100,
      ...LIBRARY_TIMING,
    });
    const coordinator = new CliProcess([
      "coordinator",
      "--no-durable",
      "--id",
      "doomed",
      "--prefix",
      p,
      "--nats-url",
      mesh.ns.url,
      "--log-level",
      "warn",
    ]);
    mesh.cleanup(() => coordinator.stop("SIGKILL"));
    const client = new MeshClient(await mesh.connect("sub"), { prefix: p, durable: false });
    mesh.cleanup(() => client.close());
    // The coordinator's own view through its api, not a probe task: a probe would occupy the slow
    // collector, and the task seen running below must be the pending one, which it has taken.
    const status = new Subjects(p).api("status");
    await until(
      async () => {
        const msg = await mesh.nc.request(status, encode(StatusRequest, {}), { timeout: 1000 });
        return decode(StatusReply, msg.data).collectors.some((c) => c.advert.id === "slow");
      },
      20_000,
      "the coordinator serves the api and routes to the slow collector",
    );
    expect(slow.stats().received).toBe(0);
    const pending = client.submit({ requiredCapabilities: PERF }, { timeoutMs: 60_000 });
    await until(() => slow.stats().running === 1, 10_000, "the task runs");
    await coordinator.stop("SIGKILL");
    const r = await pending;
    // Its keepalives stopped: the verdict says so, not the 60 s deadline.
    expect(r.status).toBe("failed");
    expect(r.error).toMatchObject({ code: ErrorCode.Unavailable });
    expect(r.error?.message).toMatch(/stopped answering/);
    expect(r.completedAt - r.startedAt).toBeLessThan(60_000);
  });

  it("api - collector-mesh results reads what a durable submit stored", async () => {
    const p = "stored";
    await streamingCollector(p, "s2");
    const coord = await mesh.coordinator({ name: "coord2", prefix: p });
    await until(() => coord.router.get("s2"), 5000, "routable");
    const url = mesh.ns.url;
    const submit = await cli([
      "submit",
      "--caps",
      "PERFORMANCE",
      "--correlation-id",
      "audit-7",
      "--json",
      '{"n":3}',
      "--prefix",
      p,
      "--nats-url",
      url,
    ]);
    expect(submit.code, submit.stderr).toBe(0);
    const read = await cli(["results", "audit-7", "--json", "--prefix", p, "--nats-url", url]);
    expect(read.code, read.stderr).toBe(0);
    const stored = JSON.parse(read.stdout) as { status: string; results: { seq: number }[] };
    expect(stored.status).toBe("complete");
    expect(stored.results.map((r) => r.seq)).toEqual([0, 1, 2]);
    const unknown = await cli(["results", "nope", "--prefix", p, "--nats-url", url]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/nothing is stored for nope/);
  });

  it("api - collector-mesh cancel ends a running submission; submit says cancelled", async () => {
    const p = "cancelcli";
    await mesh.collector({
      id: "hold",
      capabilities: PERF,
      prefix: p,
      drainGraceMs: 100,
      handler: (_payload, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error)),
        ),
      ...LIBRARY_TIMING,
    });
    const coord = await mesh.coordinator({ name: "coord3", prefix: p });
    await until(() => coord.router.get("hold"), 5000, "routable");
    const url = mesh.ns.url;
    const submit = new CliProcess([
      "submit",
      "--caps",
      "PERFORMANCE",
      "--timeout",
      "60s",
      "--correlation-id",
      "long-1",
      "--prefix",
      p,
      "--nats-url",
      url,
    ]);
    mesh.cleanup(() => submit.stop("SIGKILL"));
    await until(() => coord.stats().coordinator.inFlight === 1, 20_000, "running on hold");
    const cancel = await cli([
      "cancel",
      "long-1",
      "--reason",
      "enough",
      "--prefix",
      p,
      "--nats-url",
      url,
    ]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/cancelled long-1 on .*: 1 part\(s\) were still open/);
    const { code } = await submit.exited;
    expect(code).not.toBe(0);
    expect(submit.stdout).toMatch(/^cancelled: /m);
    // Cancelled, not late: no hint about results missing at the deadline.
    expect(submit.stdout).toMatch(/^error CANCELLED: cancelled: enough$/m);
    expect(submit.stdout).not.toContain("missing at the deadline");
    const again = await cli(["cancel", "long-1", "--prefix", p, "--nats-url", url]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no coordinator runs long-1/);
  });
});
