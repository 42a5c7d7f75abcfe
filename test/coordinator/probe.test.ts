/**
 * The coordinator's probe of a direct subject against a real nats-server: the server's own 503
 * when nobody subscribes, an answer that beats a forged 503, silence.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeInstance } from "../../src/coordinator/probe.js";
import { startMesh, type Mesh } from "../support/nats-server.js";
import { publishNoResponders } from "../security/attacker.js";

let mesh: Mesh;
beforeAll(async () => {
  mesh = await startMesh();
});
afterAll(async () => {
  await mesh.dispose();
});

const times = { timeoutMs: 1000, confirmMs: 200 };

describe("coordinator - probes", () => {
  it("coordinator - a probe of a subject nobody subscribes ends no-responders", async () => {
    expect(await probeInstance(mesh.nc, "probe.nobody.task", times)).toBe("no-responders");
  });

  it("coordinator - an answer after a forged 503 proves the instance alive", async () => {
    const live = await mesh.connect("live");
    const forger = await mesh.connect("forger");
    // The live instance answers late; the forger answers every probe with a 503 at once.
    live.subscribe("probe.live.task", {
      callback: (_e, m) => {
        setTimeout(() => m.respond(new Uint8Array(0)), 50);
      },
    });
    forger.subscribe("probe.live.task", {
      callback: (_e, m) => {
        if (m.reply) publishNoResponders(forger, m.reply);
      },
    });
    await Promise.all([live.flush(), forger.flush()]);
    // A confirm window wide enough that a stalled event loop cannot close it before the answer.
    const wide = { ...times, confirmMs: 2000 };
    expect(await probeInstance(mesh.nc, "probe.live.task", wide)).toBe("answered");
  });

  it("coordinator - a forged 503 with no answer after it, or silence, counts against the instance", async () => {
    const forger = await mesh.connect("forger-only");
    forger.subscribe("probe.forged.task", {
      callback: (_e, m) => {
        if (m.reply) publishNoResponders(forger, m.reply);
      },
    });
    const silent = await mesh.connect("silent");
    silent.subscribe("probe.silent.task", { callback: () => undefined });
    await Promise.all([forger.flush(), silent.flush()]);
    expect(await probeInstance(mesh.nc, "probe.forged.task", times)).toBe("no-responders");
    expect(await probeInstance(mesh.nc, "probe.silent.task", times)).toBe("timeout");
  });
});
