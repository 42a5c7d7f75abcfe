/**
 * The permission table, row by row, against a real nats-server: every subject each identity is
 * granted works (a publish reaches a root subscriber; a subscription receives what root
 * publishes), and the attacks a collector's identity could try are refused by the server: the
 * violation is observed on the connection and nothing arrives.
 */
import { describe, expect, it } from "vitest";
import { headers, type Msg } from "@nats-io/nats-core";
import { Kvm } from "@nats-io/kv";
import { permissionsFor, ROLE_TABLE } from "../../src/cli/auth/permissions.js";
import { readManifest } from "../../src/cli/auth/manifest.js";
import { DEFAULT_PREFIX, Subjects } from "../../subjects/index.js";
import { IDS, concrete, tryPublish, trySubscribe, watch, type Login, type Who } from "./support.js";
import { useSecuredMesh } from "./fixture.js";
import { until } from "../support/nats-server.js";

const s = new Subjects(DEFAULT_PREFIX);
const bucket = s.bucket();
const stream = `KV_${bucket}`;
const A = IDS.collectorA.name;
const B = IDS.collectorB.name;

const mesh = useSecuredMesh();

/** A fresh connection of this identity: its violations are this test's only. */
const as = (who: Who): Promise<Login> => mesh.login(who);

describe("security - every granted subject works for its identity", () => {
  // One test per row of the table: the identity's publish and subscribe allow entries.
  const manifestRows = () => {
    const m = readManifest(mesh.authDir);
    return m.identities.map((i) => ({
      who: { role: i.role, name: i.name },
      perms: permissionsFor({ ...i, prefix: m.prefix }),
    }));
  };
  for (const who of Object.values(IDS) as Who[]) {
    it(`security - ${who.role} ${who.name}: each publish row reaches a subscriber`, async () => {
      const row = manifestRows().find((r) => r.who.name === who.name && r.who.role === who.role);
      expect(row?.perms.publish.allow.length).toBeGreaterThan(0);
      const l = await as(who);
      for (const subject of row!.perms.publish.allow) {
        expect(await tryPublish(mesh, l, concrete(subject)), subject).toBe("delivered");
      }
      expect(l.violations).toEqual([]);
    });
    it(`security - ${who.role} ${who.name}: each subscribe row receives`, async () => {
      const row = manifestRows().find((r) => r.who.name === who.name && r.who.role === who.role);
      const l = await as(who);
      for (const entry of row!.perms.subscribe.allow) {
        const [subject, queue] = entry.split(" ") as [string, string | undefined];
        expect(await trySubscribe(mesh, l, subject, concrete(subject), queue), entry).toBe(
          "received",
        );
      }
      expect(l.violations).toEqual([]);
    });
  }

  it("security - every role of the table has an identity under test", () => {
    const roles = new Set((Object.values(IDS) as Who[]).map((w) => w.role));
    expect([...roles].sort()).toEqual(Object.keys(ROLE_TABLE).sort());
  });
});

describe("security - a collector's identity cannot act for another", () => {
  it("security - collector A cannot subscribe to collector B's direct subject", async () => {
    const a = await as(IDS.collectorA);
    expect(await trySubscribe(mesh, a, s.collectorTask(B))).toBe("refused");
    expect(await trySubscribe(mesh, a, `${s.prefix}.collector.*.task`)).toBe("refused");
    expect(await trySubscribe(mesh, a, `${s.prefix}.>`)).toBe("refused");
  });

  it("security - collector A cannot read another domain's plain-path tasks", async () => {
    const a = await as(IDS.collectorA); // procmond: process and generic
    const q = s.queueGroup("network");
    expect(await trySubscribe(mesh, a, s.taskWildcard("network"), undefined, q)).toBe("refused");
    expect(await trySubscribe(mesh, a, `${s.prefix}.task.>`, s.task("network", "high"))).toBe(
      "refused",
    );
  });

  it("security - collector A cannot read its own domain's tasks outside the queue group", async () => {
    const a = await as(IDS.collectorA);
    // A plain subscription would see every task of the domain, also those its peers take.
    expect(await trySubscribe(mesh, a, s.taskWildcard("process"))).toBe("refused");
    const other = "daemoneye.someone-else";
    expect(await trySubscribe(mesh, a, s.taskWildcard("process"), undefined, other)).toBe(
      "refused",
    );
  });

  it("security - collector A cannot put or delete collector B's advert, and B's advert is unchanged", async () => {
    // B's advert, put by B itself.
    const b = await as(IDS.collectorB);
    const coord = await as(IDS.coordinator);
    // The coordinator creates the bucket; collectors only bind it.
    await new Kvm(coord.nc).create(bucket, { history: 1 });
    const kvb = await new Kvm(b.nc).open(bucket);
    await kvb.put(B, new TextEncoder().encode("advert of b"));

    const a = await as(IDS.collectorA);
    const key = `$KV.${bucket}.${B}`;
    expect(await tryPublish(mesh, a, key, new TextEncoder().encode("forged"))).toBe("refused");
    const del = headers();
    del.set("KV-Operation", "DEL");
    expect(await tryPublish(mesh, a, key, new Uint8Array(0), { headers: del })).toBe("refused");
    const purge = headers();
    purge.set("KV-Operation", "PURGE");
    purge.set("Nats-Rollup", "sub");
    expect(await tryPublish(mesh, a, key, new Uint8Array(0), { headers: purge })).toBe("refused");
    for (const api of [
      `$JS.API.STREAM.PURGE.${stream}`,
      `$JS.API.STREAM.MSG.DELETE.${stream}`,
      `$JS.API.STREAM.DELETE.${stream}`,
      `$JS.API.STREAM.UPDATE.${stream}`,
      `$JS.API.STREAM.CREATE.${stream}`,
    ]) {
      expect(await tryPublish(mesh, a, api, new TextEncoder().encode("{}")), api).toBe("refused");
    }
    const kvr = await new Kvm((await mesh.root()).nc).open(bucket);
    const e = await kvr.get(B);
    expect(e?.operation).toBe("PUT");
    expect(new TextDecoder().decode(e?.value)).toBe("advert of b");
    // A's own key is its to write.
    const kva = await new Kvm(a.nc).open(bucket);
    await kva.put(A, new TextEncoder().encode("advert of a"));
    expect(new TextDecoder().decode((await kvr.get(A))?.value)).toBe("advert of a");
  });

  it("security - collector A cannot read B's advert or watch the bucket", async () => {
    const a = await as(IDS.collectorA);
    for (const api of [
      `$JS.API.DIRECT.GET.${stream}.$KV.${bucket}.${B}`,
      `$JS.API.DIRECT.GET.${stream}`,
      `$JS.API.STREAM.MSG.GET.${stream}`,
      `$JS.API.CONSUMER.CREATE.${stream}.w.$KV.${bucket}.>`,
      `$JS.API.CONSUMER.CREATE.${stream}`,
    ]) {
      expect(await tryPublish(mesh, a, api, new TextEncoder().encode("{}")), api).toBe("refused");
    }
  });

  it("security - collector A cannot publish a result for a task it did not receive", async () => {
    const a = await as(IDS.collectorA);
    const subject = s.result(IDS.coordinator.name, "task-1", 0);
    expect(await tryPublish(mesh, a, subject)).toBe("refused");
    expect(await tryPublish(mesh, a, `${s.prefix}.result.${IDS.coordinator.name}.x`)).toBe(
      "refused",
    );
  });

  it("security - collector A may answer exactly the task it received, on its reply subject", async () => {
    const a = await as(IDS.collectorA);
    const root = await mesh.root();
    const reply = s.result(IDS.coordinator.name, "task-2", 0);
    const results = await watch(root, reply);
    const tasks: Msg[] = [];
    a.nc.subscribe(s.collectorTask(A), {
      callback: (e, m) => {
        if (!e) tasks.push(m);
      },
    });
    await a.nc.flush();
    root.nc.publish(s.collectorTask(A), new Uint8Array([7]), { reply });
    await until(() => tasks.length === 1, 3000, "task received");
    // Streamed: several results to the one reply subject.
    for (let i = 0; i < 3; i++) a.nc.publish(tasks[0]!.reply!, new Uint8Array([i]));
    await until(() => results.got.length === 3, 3000, "three results");
    expect(a.violations).toEqual([]);
    // Another task's result subject stays closed to it.
    expect(await tryPublish(mesh, a, s.result(IDS.coordinator.name, "task-3", 0))).toBe("refused");
  });

  it("security - collector A cannot read inboxes: _INBOX.>, another identity's, the coordinators' results", async () => {
    const a = await as(IDS.collectorA);
    for (const subject of [
      "_INBOX.>",
      ">",
      "_INBOX_publisher_app.>",
      "_INBOX_collector_netmond-b.>",
      s.resultInbox(IDS.coordinator.name),
      `${s.prefix}.result.>`,
    ]) {
      expect(await trySubscribe(mesh, a, subject), subject).toBe("refused");
    }
  });

  it("security - collector A cannot send tasks, submit, publish events or serve the api", async () => {
    const a = await as(IDS.collectorA);
    for (const subject of [
      s.collectorTask(B),
      s.task("process", "normal"),
      s.api("submit"),
      s.api("status"),
      s.api("stats"),
      s.collectorEvent(B),
      s.failoverEvent(),
    ]) {
      expect(await tryPublish(mesh, a, subject), subject).toBe("refused");
    }
    expect(await trySubscribe(mesh, a, s.api("submit"), undefined, "collector-mesh")).toBe(
      "refused",
    );
    expect(await trySubscribe(mesh, a, s.events())).toBe("refused");
    expect(await trySubscribe(mesh, a, "$SRV.PING")).toBe("refused");
  });

  it("security - a refused operation does not disconnect the collector", async () => {
    const a = await as(IDS.collectorA);
    expect(await trySubscribe(mesh, a, s.collectorTask(B))).toBe("refused");
    expect(await tryPublish(mesh, a, s.result(IDS.coordinator.name, "task-1", 0))).toBe("refused");
    expect(a.nc.isClosed()).toBe(false);
    expect(await tryPublish(mesh, a, `$KV.${bucket}.${A}`)).toBe("delivered");
    expect(await trySubscribe(mesh, a, s.collectorTask(A))).toBe("received");
  });
});
