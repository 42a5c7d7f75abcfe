import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { decode, encode } from "../src/codec.js";
import { MeshError } from "../src/errors.js";
import {
  AggregatedResult,
  SourceCaps,
  StatusReply,
  Subjects,
  SubmitRequest,
} from "../subjects/index.js";
import { killChild, spawnCollector, startMesh, until, type Mesh } from "./support/nats-server.js";
import { OtlpReceiver } from "./support/otlp-receiver.js";

const CLI = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const PROC = SourceCaps.PROCESS;
const SPAN_KIND_PRODUCER = 4;
const SPAN_KIND_CONSUMER = 5;

describe("tracing - one task's life across processes, exported over OTLP/HTTP", () => {
  let mesh: Mesh;
  let otlp: OtlpReceiver;
  let endpoint: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    mesh = await startMesh();
    otlp = new OtlpReceiver();
    endpoint = await otlp.start();
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => killChild(c)));
    await otlp.stop();
    await mesh.dispose();
  });

  it("tracing - a fan-out task with a failover re-send is one trace linking three processes", async () => {
    const p = "traced";
    const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, LOG_LEVEL: "warn" };
    const coordinator = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        CLI,
        "coordinator",
        "--nats-url",
        mesh.ns.url,
        "--prefix",
        p,
        "--id",
        "coord-t",
        "--attempt-timeout",
        "3s",
        "--advert-ttl",
        "3s",
        "--grace",
        "2s",
      ],
      { env, stdio: ["ignore", "ignore", "inherit"] },
    );
    children.push(coordinator);
    // "fast" answers at once; "slow" answers its first attempt after that attempt has timed out,
    // so its part is re-sent to "slow" itself (a fan-out part belongs to its instance: a new
    // dispatch attempt in the same trace), and the late answer of the first attempt is dropped.
    children.push(await spawnCollector(mesh.ns.url, { id: "fast", caps: PROC, prefix: p }, env));
    children.push(
      await spawnCollector(
        mesh.ns.url,
        // No progress from its first attempt: it outlives the attempt timeout unheard.
        { id: "slow", caps: PROC, prefix: p, delayMs: 4000, slowAttempts: 1, progressMs: 60_000 },
        env,
      ),
    );
    const s = new Subjects(p);
    await until(
      async () => {
        const r = await mesh.nc.request(s.api("status"), new Uint8Array(0), { timeout: 500 });
        return r.data.length > 0 && decode(StatusReply, r.data).collectors.length === 2;
      },
      15_000,
      "coordinator sees both collectors",
    );

    const reply = await mesh.nc.request(
      s.api("submit"),
      encode(SubmitRequest, {
        requiredCapabilities: PROC,
        payload: "traced",
        priority: 3,
        mode: "all",
        timeoutMs: 15_000,
      }),
      { timeout: 20_000 },
    );
    expect(MeshError.fromMsg(reply)).toBeUndefined();
    const result = decode(AggregatedResult, reply.data);
    expect(result.status).toBe("complete");
    expect(result.results).toHaveLength(2);
    const by = Object.fromEntries(result.results.map((r) => [r.collectorId, r.attempt]));
    expect(by).toEqual({ fast: 0, slow: 1 });

    // Let "slow" finish its abandoned attempt, then stop everything so every span is flushed.
    await new Promise((r) => setTimeout(r, 1500));
    await Promise.all(children.map((c) => killChild(c, "SIGTERM")));

    const submit = await until(
      () =>
        otlp.spans.find(
          (x) =>
            x.name === "submit" &&
            x.attributes["messaging.message.conversation_id"] === result.correlationId,
        ),
      10_000,
      "the submit span",
    );
    const trace = otlp.spans.filter((x) => x.traceId === submit.traceId);
    const byId = new Map(trace.map((x) => [x.spanId, x]));
    const dispatches = trace.filter((x) => x.name === "dispatch");
    const processes = trace.filter((x) => x.name === "process");

    // Three dispatch attempts: fast and slow, then the re-send of slow's part to slow.
    expect(dispatches).toHaveLength(3);
    expect(
      dispatches.every((d) => d.kind === SPAN_KIND_PRODUCER && d.parentSpanId === submit.spanId),
    ).toBe(true);
    expect(dispatches.map((d) => d.attributes["collector_mesh.task.attempt"]).sort()).toEqual([
      0, 0, 1,
    ]);
    expect(dispatches.every((d) => d.attributes["messaging.system"] === "nats")).toBe(true);

    // Every process span is a consumer child of a dispatch span, across process boundaries.
    expect(processes.length).toBe(3);
    for (const span of processes) {
      expect(span.kind).toBe(SPAN_KIND_CONSUMER);
      const parent = byId.get(span.parentSpanId ?? "");
      expect(parent?.name).toBe("dispatch");
      expect(parent?.attributes["collector_mesh.collector.id"]).toBe(
        span.attributes["collector_mesh.collector.id"],
      );
    }
    // Each process span publishes its result under a PRODUCER `result` span.
    const results = trace.filter((x) => x.name === "result");
    for (const span of processes) {
      expect(
        results.some((x) => x.parentSpanId === span.spanId && x.kind === SPAN_KIND_PRODUCER),
      ).toBe(true);
    }
    const services = new Set(trace.map((x) => x.service));
    expect(services).toEqual(
      new Set(["collector-mesh-coordinator", "test-collector-fast", "test-collector-slow"]),
    );
  }, 60_000);
});
