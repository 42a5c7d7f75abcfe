/**
 * The collectors' reply limits (`allow_responses`) are enforced by the server: with
 * `auth init --max-replies 2`, a collector may send two results to a task's reply subject, and
 * the third is refused. The defaults follow the mesh's limits (see tls.test.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Msg } from "@nats-io/nats-core";
import { DEFAULT_PREFIX, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { IDS, violated, watch } from "./support.js";
import { useSecuredMesh } from "./fixture.js";

const s = new Subjects(DEFAULT_PREFIX);
const mesh = useSecuredMesh(["--max-replies", "2", "--reply-window", "10m"]);

describe("security - reply limits", () => {
  it("security - auth init --max-replies/--reply-window set the collectors' allow_responses only", () => {
    const conf = readFileSync(join(mesh.authDir, "server.conf"), "utf8");
    const limits = [...conf.matchAll(/allow_responses: \{ max: (\d+), expires: "(\d+)ms" \}/g)].map(
      (m) => [Number(m[1]), Number(m[2])],
    );
    // Two collectors with the given limits, two coordinators with the table's one reply.
    expect(limits.filter(([max]) => max === 2)).toEqual([
      [2, 600_000],
      [2, 600_000],
    ]);
    expect(limits.filter(([max]) => max === 1)).toHaveLength(2);
  });

  it("security - a collector's results beyond --max-replies for one task are refused", async () => {
    const a = await mesh.login(IDS.collectorA);
    const root = await mesh.root();
    const reply = s.result(IDS.coordinator.name, "t-9", 0);
    const results = await watch(root, reply);
    const tasks: Msg[] = [];
    a.nc.subscribe(s.collectorTask(IDS.collectorA.name), {
      callback: (e, m) => {
        if (!e) tasks.push(m);
      },
    });
    await a.nc.flush();
    root.nc.publish(s.collectorTask(IDS.collectorA.name), new Uint8Array([1]), { reply });
    await until(() => tasks.length === 1, 3000, "task received");
    for (let i = 0; i < 3; i++) a.nc.publish(reply, new Uint8Array([i]));
    await a.nc.flush();
    await until(() => violated(a, "publish", reply), 3000, "the third result refused");
    await root.nc.flush();
    expect(results.got.map((m) => m.data[0])).toEqual([0, 1]);
  });
});
