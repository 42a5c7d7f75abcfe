/**
 * `collector-mesh status` reads the coordinator's view page by page. `api.status` is served by a
 * queue group, so pages may come from different coordinators: the reader asks again for one from
 * the coordinator of the first page and refuses to stitch two views together.
 */
import { describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { askCoordinator } from "../../src/cli/run/status.js";
import { decode, encode } from "../../src/codec.js";
import { SERVICE_NAME, StatusReply, StatusRequest, Subjects } from "../../subjects/index.js";
import { advert } from "../router/fixtures.js";
import { useMesh } from "../support/mesh-fixture.js";

const mesh = useMesh({ cleanupAfter: "all" });

const status = (id: string) => ({
  advert: advert(id, 1),
  health: "healthy" as const,
  heartbeatAgeMs: 5,
  inFlight: 0,
  capacity: 10,
});

/**
 * A stand-in coordinator: ids in pages of one, by `after`. In the api's queue group unless
 * `plain`; it answers only the requests `answers` accepts.
 */
function serve(
  nc: NatsConnection,
  s: Subjects,
  coordinatorId: string,
  ids: string[],
  answers: (req: StatusRequest) => boolean = () => true,
  plain = false,
): void {
  nc.subscribe(s.api("status"), {
    ...(plain ? {} : { queue: SERVICE_NAME }),
    callback: (_err, msg) => {
      const req = decode(StatusRequest, msg.data);
      if (!answers(req)) return;
      const at = req.after === undefined ? 0 : ids.indexOf(req.after) + 1;
      const page = ids.slice(at, at + 1);
      const next = at + 1 < ids.length ? page[0] : undefined;
      const reply = { coordinatorId, collectors: page.map(status), total: ids.length };
      msg.respond(encode(StatusReply, next === undefined ? reply : { ...reply, next }));
    },
  });
}

describe("cli - status in pages", () => {
  it("cli - status reads every page of one coordinator's view, in order", async () => {
    const s = new Subjects("pages1");
    const nc = await mesh.connect("coord-a");
    serve(nc, s, "coord-a", ["a1", "a2", "a3"]);
    await nc.flush();
    const rows = await askCoordinator(await mesh.connect("reader-1"), s);
    expect(Array.isArray(rows) && rows.map((r) => [r.id, r.seenBy])).toEqual([
      ["a1", "coord-a"],
      ["a2", "coord-a"],
      ["a3", "coord-a"],
    ]);
  });

  it("cli - pages from two coordinators are not stitched together: status says so", async () => {
    const s = new Subjects("pages2");
    const ids = ["c1", "c2", "c3"];
    // A answers the first page only, B every later one (as a queue group may route them).
    const a = await mesh.connect("coord-a2");
    serve(a, s, "coord-a", ids, (req) => req.after === undefined);
    const b = await mesh.connect("coord-b2");
    serve(b, s, "coord-b", ids, (req) => req.after !== undefined, true);
    await Promise.all([a.flush(), b.flush()]);
    await expect(askCoordinator(await mesh.connect("reader-2"), s)).rejects.toThrow(
      /pages of pages2\.api\.status came from coord-a and coord-b/,
    );
  });
});
