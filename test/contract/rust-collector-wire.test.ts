import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { createInbox } from "@nats-io/nats-core";
import { decode, encode } from "../../src/codec.js";
import {
  ErrorReply,
  MeshHeaders,
  Result as ResultSchema,
  Subjects,
  Task,
  type Result,
} from "../../subjects/index.js";
import { VECTORS_DIR, type Manifest } from "../../subjects/generate-vectors.js";
import { until } from "../support/nats-server.js";
import type { RustCollectorOptions } from "./rust.js";
import { useRustMesh } from "./rust-fixture.js";

let seq = 0;
const mesh = useRustMesh();

function prefix(): string {
  return `rw${++seq}_${Date.now().toString(36)}`;
}

function task(over: Partial<Task> = {}): Task {
  const now = Date.now();
  return {
    taskId: `t${++seq}`,
    correlationId: `c${seq}`,
    requiredCapabilities: 0x08,
    domain: "performance",
    priority: 1,
    createdAt: now,
    deadline: now + 10_000,
    attempt: 0,
    ...over,
  };
}

/** Sends a task with a reply inbox and collects its results until the final one. */
async function run(nc: NatsConnection, subject: string, t: Task): Promise<Result[]> {
  const inbox = createInbox();
  const got: Result[] = [];
  const sub = nc.subscribe(inbox);
  nc.publish(subject, encode(Task, t), { reply: inbox });
  for await (const m of sub) {
    const r = decode(ResultSchema, m.data);
    got.push(r);
    if (r.final) break;
  }
  return got;
}

async function rust(p: string, extra: Partial<RustCollectorOptions> = {}) {
  const id = `rs${++seq}`;
  await mesh.rust({ id, prefix: p, ...extra });
  return { id, direct: new Subjects(p).collectorTask(id) };
}

describe("rust collector - its subjects, by the contract alone", () => {
  it("rust collector - every invalid Task vector gets INVALID_MESSAGE in headers and body; a probe an empty reply", async () => {
    const p = prefix();
    const { direct } = await rust(p);
    const manifest = JSON.parse(
      readFileSync(join(VECTORS_DIR, "manifest.json"), "utf8"),
    ) as Manifest;
    const invalid = manifest.vectors.filter(
      // 1 MiB + 1 is over the server's max_payload: the client refuses to send it. Zero bytes
      // with a reply subject are the liveness probe, answered below.
      (v) =>
        v.message === "Task" &&
        v.verdict === "invalid" &&
        v.path !== "<size>" &&
        !v.file.endsWith("invalid-empty.msgpack"),
    );
    expect(invalid.length).toBeGreaterThanOrEqual(30);
    for (const v of invalid) {
      const bytes = new Uint8Array(readFileSync(join(VECTORS_DIR, v.file)));
      const reply = await mesh.nc.request(direct, bytes, { timeout: 2000 });
      expect(reply.headers?.get(MeshHeaders.ErrorCode), v.file).toBe("INVALID_MESSAGE");
      expect(reply.headers?.get(MeshHeaders.Error), v.file).not.toBe("");
      const body = decode(ErrorReply, reply.data);
      expect(body.error.code, v.file).toBe("INVALID_MESSAGE");
      if (v.path?.startsWith("<") === false) expect(body.error.message, v.file).toContain(v.path);
    }
    const probe = await mesh.nc.request(direct, new Uint8Array(0), { timeout: 2000 });
    expect(probe.data.length).toBe(0);
    expect(probe.headers).toBeUndefined();
    // Still serving after all that.
    const [ok] = await run(mesh.nc, direct, task());
    expect(ok?.status).toBe("ok");
  });

  it("rust collector - a task larger than its 256 KiB limit is refused before parsing", async () => {
    const p = prefix();
    const { direct } = await rust(p);
    const big = encode(Task, task({ payload: "x".repeat(300 * 1024) }));
    const reply = await mesh.nc.request(direct, big, { timeout: 2000 });
    expect(reply.headers?.get(MeshHeaders.ErrorCode)).toBe("INVALID_MESSAGE");
    expect(decode(ErrorReply, reply.data).error.message).toMatch(/exceeds 262144/);
  });

  it("rust collector - takes plain-path tasks in its domain's queue group", async () => {
    const p = prefix();
    const a = await rust(p);
    const b = await rust(p);
    const subjects = new Subjects(p);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => run(mesh.nc, subjects.task("performance", "high"), task())),
    );
    const by = new Set(results.map((r) => r[0]?.collectorId));
    // A queue group: each task reached exactly one instance, and both instances served.
    expect(results.every((r) => r.length === 1 && r[0]?.status === "ok")).toBe(true);
    expect([...by].sort()).toEqual([a.id, b.id].sort());
  });

  it("rust collector - streams n samples in order, the last one final, attempt echoed", async () => {
    const p = prefix();
    const { id, direct } = await rust(p);
    const rs = await run(
      mesh.nc,
      direct,
      task({ payload: { stream: 25, intervalMs: 2 }, attempt: 3 }),
    );
    expect(rs.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(rs.map((r) => r.final)).toEqual([...Array.from({ length: 24 }, () => false), true]);
    for (const r of rs) {
      expect(r).toMatchObject({ collectorId: id, status: "ok", attempt: 3 });
      expect((r.payload as { sample: number }).sample).toBe(r.seq);
    }
  });

  it("rust collector - refuses OVERLOADED past maxConcurrency + maxQueued, runs Critical first, times out late tasks", async () => {
    const p = prefix();
    const { direct } = await rust(p, { maxConcurrency: 1, maxQueued: 2 });
    const slow = run(mesh.nc, direct, task({ payload: { delayMs: 400 } }));
    await until(async () => (await mesh.nc.request(direct, new Uint8Array(0))).data.length === 0);
    const low = run(mesh.nc, direct, task({ priority: 0 }));
    const critical = run(mesh.nc, direct, task({ priority: 3 }));
    const order: string[] = [];
    void low.then(() => order.push("low"));
    void critical.then(() => order.push("critical"));
    const refused = await run(mesh.nc, direct, task());
    expect(refused[0]?.error?.code).toBe("OVERLOADED");
    const [s, l, c] = await Promise.all([slow, low, critical]);
    expect([s[0]?.status, l[0]?.status, c[0]?.status]).toEqual(["ok", "ok", "ok"]);
    // Critical ran before Low although it came later.
    expect(order).toEqual(["critical", "low"]);
    const late = await run(mesh.nc, direct, task({ deadline: Date.now() - 1 }));
    expect(late[0]?.error?.code).toBe("TIMEOUT");
    const t0 = Date.now();
    const cut = await run(
      mesh.nc,
      direct,
      task({ deadline: Date.now() + 200, payload: { delayMs: 5000 } }),
    );
    expect(cut[0]).toMatchObject({ status: "error", final: true, error: { code: "TIMEOUT" } });
    expect(Date.now() - t0).toBeLessThan(5000);
    const missing = await run(mesh.nc, direct, task({ requiredCapabilities: 0x01 }));
    expect(missing[0]?.error?.code).toBe("NO_CAPABLE_COLLECTOR");
    const badOption = await run(mesh.nc, direct, task({ payload: { stream: 0 } }));
    expect(badOption[0]?.error?.code).toBe("INVALID_ARGUMENT");
  });
});
