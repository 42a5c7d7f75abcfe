/**
 * The official `nats` CLI sees the mesh: `nats micro` finds the coordinator's service with its
 * endpoints and counters, and `nats kv` lists the advert bucket and reads a collector's advert.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode, encode } from "../../src/codec.js";
import { Coordinator } from "../../src/coordinator/index.js";
import { Collector } from "../../src/collector/index.js";
import {
  CollectorAdvert,
  SERVICE_NAME,
  SourceCaps,
  StatusReply,
  StatusRequest,
  Subjects,
} from "../../subjects/index.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";
import { natsCli } from "../support/tools.js";

const PREFIX = "tools";
let mesh: Mesh;
let coordinator: Coordinator;
let collector: Collector;
const cli = natsCli();

/** Runs `nats --server <url> <args>`; resolves with its exit code and output. */
function nats(args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cli, ["--server", mesh.ns.url, "--timeout", "5s", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NATS_CONTEXT: "", HOME: mesh.ns.dir },
    });
    const out: Buffer[] = [];
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("error", reject);
    p.once("exit", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

async function natsOk(args: string[]): Promise<Buffer> {
  const r = await nats(args);
  expect(r.code, `nats ${args.join(" ")}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  mesh = await startMesh();
  coordinator = new Coordinator({
    nc: await mesh.connect("coordinator"),
    prefix: PREFIX,
    id: "coord-1",
  });
  await coordinator.start();
  collector = new Collector({
    id: "perf-1",
    type: "perfmond",
    prefix: PREFIX,
    capabilities: SourceCaps.PERFORMANCE,
    handler: () => ({ load: 0.5 }),
  });
  await collector.start(await mesh.connect("collector"));
  await until(() => coordinator.router.get("perf-1"), 5000, "collector routable");
  const r = await coordinator.submit({ requiredCapabilities: SourceCaps.PERFORMANCE });
  expect(r.status).toBe("complete");
});

afterAll(async () => {
  await collector?.stop();
  await coordinator?.stop();
  await mesh?.dispose();
});

describe("tools - the nats CLI against a running mesh", () => {
  it("tools - nats micro ls lists the collector-mesh service", async () => {
    const out = (await natsOk(["micro", "ls", "--json"])).toString();
    const services = JSON.parse(out) as { name: string; metadata?: Record<string, string> }[];
    const ours = services.filter((s) => s.name === SERVICE_NAME);
    expect(ours).toHaveLength(1);
    expect(ours[0]?.metadata).toMatchObject({ coordinator_id: "coord-1", prefix: PREFIX });
    expect((await natsOk(["micro", "ls"])).toString()).toContain(SERVICE_NAME);
  });

  it("tools - nats micro info collector-mesh shows the api endpoints", async () => {
    const s = new Subjects(PREFIX);
    const { info } = JSON.parse(
      (await natsOk(["micro", "info", SERVICE_NAME, "--json"])).toString(),
    ) as { info: { endpoints: { name: string; subject: string; queue_group?: string }[] } };
    const bySubject = Object.fromEntries(info.endpoints.map((e) => [e.name, e.subject]));
    expect(bySubject).toEqual({
      submit: s.api("submit"),
      status: s.api("status"),
      stats: s.api("stats"),
    });
    expect(info.endpoints.every((e) => e.queue_group === SERVICE_NAME)).toBe(true);
    const text = (await natsOk(["micro", "info", SERVICE_NAME])).toString();
    expect(text).toContain(s.api("submit"));
  });

  it("tools - nats micro stats collector-mesh shows endpoint counters and the mesh's own stats", async () => {
    // One request through the api, so the status endpoint has something to count.
    const reply = await mesh.nc.request(
      new Subjects(PREFIX).api("status"),
      encode(StatusRequest, {}),
    );
    expect(decode(StatusReply, reply.data).collectors.map((c) => c.advert.id)).toEqual(["perf-1"]);
    const stats = JSON.parse(
      (await natsOk(["micro", "stats", SERVICE_NAME, "--json"])).toString(),
    ) as { endpoints: { name: string; num_requests: number; data?: unknown }[] }[];
    expect(stats).toHaveLength(1);
    const endpoints = stats[0]?.endpoints ?? [];
    expect(endpoints.map((e) => e.name).sort()).toEqual(["stats", "status", "submit"]);
    const requests = Object.fromEntries(endpoints.map((e) => [e.name, e.num_requests]));
    expect(requests.status).toBeGreaterThanOrEqual(1);
    // statsHandler's data: the coordinator's stats, e.g. what it submitted.
    const data = endpoints[0]?.data as {
      coordinatorId?: string;
      coordinator?: { submitted: number };
    };
    expect(data.coordinatorId).toBe("coord-1");
    expect(data.coordinator?.submitted).toBeGreaterThanOrEqual(1);
    expect((await natsOk(["micro", "stats", SERVICE_NAME])).toString()).toContain("submit");
  });

  it("tools - nats kv ls lists the advert bucket and nats kv get returns a collector's advert", async () => {
    const bucket = new Subjects(PREFIX).bucket();
    expect((await natsOk(["kv", "ls", "--names"])).toString().split(/\s+/)).toContain(bucket);
    const keys = (await natsOk(["kv", "ls", bucket])).toString();
    expect(keys.split(/\s+/)).toContain("perf-1");
    // Without --raw it names the entry it read: bucket, key and revision.
    const shown = (await natsOk(["kv", "get", bucket, "perf-1"])).toString();
    expect(shown).toMatch(new RegExp(`^${bucket} > perf-1 revision: \\d+`, "m"));
    const raw = await natsOk(["kv", "get", bucket, "perf-1", "--raw"]);
    const advert = decode(CollectorAdvert, new Uint8Array(raw));
    expect(advert).toMatchObject({
      id: "perf-1",
      type: "perfmond",
      capabilities: SourceCaps.PERFORMANCE,
      health: "healthy",
    });
  });
});
