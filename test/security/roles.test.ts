/**
 * Publishers, operators and coordinators under their generated identities, against a real
 * nats-server: each is refused what its role does not grant (observed as a permissions
 * violation, and nothing arrives at a root subscriber).
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_PREFIX, SERVICE_NAME, Subjects } from "../../subjects/index.js";
import { CapabilityRouter, RouterWatcher } from "../../src/router/index.js";
import { until } from "../support/nats-server.js";
import { IDS, tryPublish, trySubscribe } from "./support.js";
import { securedCollector, useSecuredMesh } from "./fixture.js";

const s = new Subjects(DEFAULT_PREFIX);
const stream = `KV_${s.bucket()}`;
const advert = (id: string) => `$KV.${s.bucket()}.${id}`;

const mesh = useSecuredMesh();

async function refusedSubscriptions(who: (typeof IDS)[keyof typeof IDS], subjects: string[]) {
  const l = await mesh.login(who);
  for (const subject of subjects) {
    expect(await trySubscribe(mesh, l, subject), `${who.name} sub ${subject}`).toBe("refused");
  }
}

async function refusedPublishes(who: (typeof IDS)[keyof typeof IDS], subjects: string[]) {
  const l = await mesh.login(who);
  for (const subject of subjects) {
    expect(await tryPublish(mesh, l, subject), `${who.name} pub ${subject}`).toBe("refused");
  }
}

describe("security - a publisher submits and reads its own replies, nothing else", () => {
  it("security - a publisher cannot read another publisher's replies or any shared inbox", async () => {
    await refusedSubscriptions(IDS.publisher, [
      "_INBOX_publisher_app2.>",
      "_INBOX_operator_ops.>",
      "_INBOX.>",
      "_INBOX_collector_procmond-a.>",
      ">",
    ]);
  });

  it("security - a publisher cannot see tasks, results or events", async () => {
    await refusedSubscriptions(IDS.publisher, [
      s.collectorTask(IDS.collectorA.name),
      `${s.prefix}.collector.*.task`,
      s.taskWildcard("process"),
      `${s.prefix}.task.>`,
      s.resultInbox(IDS.coordinator.name),
      s.events(),
    ]);
    const l = await mesh.login(IDS.publisher);
    const q = s.queueGroup("process");
    expect(await trySubscribe(mesh, l, s.taskWildcard("process"), undefined, q)).toBe("refused");
  });

  it("security - a publisher cannot publish tasks, results, adverts, events, status or stats", async () => {
    await refusedPublishes(IDS.publisher, [
      s.task("process", "critical"),
      s.collectorTask(IDS.collectorA.name),
      s.result(IDS.coordinator.name, "t-1", 0),
      advert(IDS.collectorA.name),
      s.collectorEvent(IDS.collectorA.name),
      s.failoverEvent(),
      s.api("status"),
      s.api("stats"),
      `$JS.API.STREAM.INFO.${stream}`,
      `$JS.API.STREAM.CREATE.${stream}`,
      `$JS.API.STREAM.UPDATE.${stream}`,
      `$JS.API.STREAM.DELETE.${stream}`,
      `$JS.API.STREAM.PURGE.${stream}`,
      `$JS.API.STREAM.MSG.DELETE.${stream}`,
    ]);
  });

  it("security - a plain-path publisher may publish only to its domains", async () => {
    const l = await mesh.login(IDS.plainPublisher); // --plain-path process
    expect(await tryPublish(mesh, l, s.task("process", "high"))).toBe("delivered");
    expect(await tryPublish(mesh, l, s.task("network", "high"))).toBe("refused");
    expect(await tryPublish(mesh, l, s.collectorTask(IDS.collectorA.name))).toBe("refused");
    expect(await trySubscribe(mesh, l, s.taskWildcard("process"))).toBe("refused");
  });
});

describe("security - an operator reads the mesh and changes nothing", () => {
  it("security - an operator may call status and stats and read events", async () => {
    const l = await mesh.login(IDS.operator);
    expect(await tryPublish(mesh, l, s.api("status"))).toBe("delivered");
    expect(await tryPublish(mesh, l, s.api("stats"))).toBe("delivered");
    expect(await tryPublish(mesh, l, s.api("submit"))).toBe("delivered");
    expect(await trySubscribe(mesh, l, s.events(), s.failoverEvent())).toBe("received");
    expect(l.violations).toEqual([]);
  });

  it("security - an operator cannot write or delete adverts, or change the bucket", async () => {
    await refusedPublishes(IDS.operator, [
      advert(IDS.collectorA.name),
      `$JS.API.STREAM.CREATE.${stream}`,
      `$JS.API.STREAM.UPDATE.${stream}`,
      `$JS.API.STREAM.DELETE.${stream}`,
      `$JS.API.STREAM.PURGE.${stream}`,
      `$JS.API.STREAM.MSG.DELETE.${stream}`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.keep`,
    ]);
  });

  it("security - an operator cannot take tasks, read results or others' inboxes, or dispatch", async () => {
    await refusedSubscriptions(IDS.operator, [
      s.collectorTask(IDS.collectorA.name),
      s.resultInbox(IDS.coordinator.name),
      "_INBOX.>",
      "_INBOX_publisher_app.>",
    ]);
    await refusedPublishes(IDS.operator, [
      s.collectorTask(IDS.collectorA.name),
      s.task("process", "normal"),
      s.result(IDS.coordinator.name, "t-1", 0),
      s.collectorEvent(IDS.collectorA.name),
    ]);
  });
});

describe("security - a coordinator does what it needs and no more", () => {
  it("security - a coordinator cannot read another coordinator's results or collectors' tasks", async () => {
    await refusedSubscriptions(IDS.coordinator, [
      s.resultInbox(IDS.coordinator2.name),
      `${s.prefix}.result.>`,
      s.collectorTask(IDS.collectorA.name),
      s.taskWildcard("process"),
      "_INBOX.>",
      "_INBOX_publisher_app.>",
    ]);
    const l = await mesh.login(IDS.coordinator);
    // The api only in the coordinators' queue group: no plain copy of every request.
    expect(await trySubscribe(mesh, l, s.api("submit"))).toBe("refused");
    expect(await trySubscribe(mesh, l, s.api("submit"), undefined, SERVICE_NAME)).toBe("received");
  });

  it("security - a coordinator reads a large fleet's adverts in batches: its pulls and consumer deletes are allowed", async () => {
    const login = await mesh.login(IDS.coordinator);
    const router = new CapabilityRouter({ heartbeatTimeoutMs: 1500 });
    // A fleet of one counts as large here: the watch pulls its adverts in batches.
    const watcher = new RouterWatcher(login.nc, router, {
      ttlMs: 1500,
      sweepIntervalMs: 50,
      batchAbove: 1,
      batchIntervalMs: 50,
    });
    mesh.cleanup(() => watcher.stop());
    await watcher.start(); // it binds (or creates) the bucket the collector then writes in
    const { collector } = await securedCollector(mesh);
    const id = collector.id;
    await until(() => watcher.stats().adverts === "batched", 3000, "read in batches");
    const seq = router.get(id)?.advert.heartbeatSeq ?? 0;
    await until(
      () => (router.get(id)?.advert.heartbeatSeq ?? 0) > seq + 2,
      3000,
      "heartbeats read in batches",
    );
    expect(watcher.stats().adverts).toBe("batched");
    await watcher.stop();
    expect(login.violations.map((v) => `${v.operation} ${v.subject}`)).toEqual([]);
  });

  it("security - a coordinator cannot forge results or adverts, or submit", async () => {
    await refusedPublishes(IDS.coordinator, [
      s.result(IDS.coordinator2.name, "t-1", 0),
      s.result(IDS.coordinator.name, "t-1", 0),
      advert(IDS.collectorA.name),
      s.api("submit"),
      s.task("process", "normal"),
      `$JS.API.STREAM.DELETE.${stream}`,
      `$JS.API.STREAM.PURGE.${stream}`,
      `$JS.API.STREAM.UPDATE.${stream}`,
      `$JS.API.STREAM.MSG.DELETE.${stream}`,
      `$JS.API.STREAM.CREATE.OTHER`,
    ]);
  });
});
