import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { existsSync } from "node:fs";
import { decode, encode } from "../src/codec.js";
import { Subjects, Task } from "../subjects/index.js";
import { startMesh, until, type Mesh } from "./support/nats-server.js";

describe("harness - real nats-server with JetStream", () => {
  let mesh: Mesh;
  beforeAll(async () => {
    mesh = await startMesh();
  });
  afterAll(async () => {
    await mesh.dispose();
    expect(existsSync(mesh.ns.dir)).toBe(false);
  });

  it("harness - a msgpack Task published on the plain-path subject is received and validated", async () => {
    const s = new Subjects();
    const sub = mesh.nc.subscribe(s.taskWildcard("process"), {
      queue: s.queueGroup("process"),
      max: 1,
    });
    const task: Task = {
      taskId: "t1",
      correlationId: "c1",
      requiredCapabilities: 1,
      domain: "process",
      priority: 2,
      payload: { name: "sshd" },
      createdAt: Date.now(),
      deadline: Date.now() + 5000,
      attempt: 0,
    };
    const pub = await mesh.connect("publisher");
    pub.publish(s.task("process", "high"), encode(Task, task));
    for await (const m of sub) {
      expect(m.subject).toBe("daemoneye.task.process.high");
      expect(decode(Task, m.data, { subject: m.subject })).toEqual(task);
    }
  });

  it("harness - the server listens on its own port, not 4222", () => {
    expect(mesh.ns.port).not.toBe(4222);
    expect(mesh.ns.port).toBeGreaterThan(0);
  });

  it("harness - restart keeps the port and the JetStream store; kill is abrupt", async () => {
    const kv = await new Kvm(mesh.nc).create("h_survives", { history: 1 });
    await kv.put("k", "v");
    const port = mesh.ns.port;
    await mesh.ns.kill();
    expect(mesh.ns.running).toBe(false);
    await mesh.ns.restart();
    expect(mesh.ns.port).toBe(port);
    const nc2 = await connect({ servers: mesh.ns.url });
    try {
      const kv2 = await new Kvm(nc2).open("h_survives");
      const e = await until(() => kv2.get("k"), 10_000, "kv entry after restart");
      expect(e?.string()).toBe("v");
      const jsm = await jetstreamManager(nc2);
      expect((await jsm.streams.info("KV_h_survives")).state.messages).toBe(1);
    } finally {
      await nc2.close();
    }
  });
});
