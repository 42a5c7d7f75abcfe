/**
 * `api.status` in pages: a coordinator's view of 10,000 collectors does not fit in one NATS
 * message, so a reply holds at most MAX_STATUS_PAGE collectors and MAX_STATUS_PAGE_BYTES of them,
 * by id, with `next` to ask for the rest.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { encode } from "../../src/codec.js";
import { CapabilityRouter } from "../../src/router/index.js";
import { LoadBalancer } from "../../src/balancer/index.js";
import { coordinatorStatus } from "../../src/coordinator/status-page.js";
import {
  MAX_STATUS_PAGE,
  MAX_STATUS_PAGE_BYTES,
  SourceCaps,
  StatusReply,
  type CollectorAdvert,
  type StatusRequest,
} from "../../subjects/index.js";
import { advert } from "../router/fixtures.js";

function view(adverts: CollectorAdvert[]) {
  const clock = new ManualClock(1_000_000);
  const router = new CapabilityRouter({ prefix: "p" }, { clock });
  for (const a of adverts) router.upsert({ ...a, heartbeatAt: clock.now() });
  const balancer = new LoadBalancer({}, { clock });
  const page = (req?: StatusRequest) => coordinatorStatus("c1", router, balancer, clock.now(), req);
  return { page };
}

/** Every page from the first on, as a client reads them. */
function allPages(page: (req?: StatusRequest) => StatusReply, limit?: number): StatusReply[] {
  const out: StatusReply[] = [];
  let after: string | undefined;
  for (;;) {
    const r = page({ ...(after === undefined ? {} : { after }), ...(limit ? { limit } : {}) });
    out.push(r);
    if (r.next === undefined) return out;
    after = r.next;
  }
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${String(i).padStart(5, "0")}`);

describe("coordinator - status in pages", () => {
  it("coordinator - 2,500 collectors come in pages of 1,000 by id, each with the total and a next but the last; without a page request, all", () => {
    const all = ids(2500);
    const { page } = view([...all].reverse().map((id) => advert(id, SourceCaps.PROCESS)));
    const pages = allPages(page);
    expect(pages.map((p) => p.collectors.length)).toEqual([MAX_STATUS_PAGE, MAX_STATUS_PAGE, 500]);
    expect(pages.flatMap((p) => p.collectors.map((c) => c.advert.id))).toEqual(all);
    expect(pages.map((p) => p.total)).toEqual([2500, 2500, 2500]);
    expect(pages.map((p) => p.next)).toEqual(["c00999", "c01999", undefined]);
    for (const p of pages) expect(StatusReply.parse(p)).toEqual(p);
    expect(page().collectors).toHaveLength(2500); // the library's own call: the whole view
    expect(page().next).toBeUndefined();
  });

  it("coordinator - a limit and an after between ids page from there; after the last id the page is empty", () => {
    const { page } = view(ids(5).map((id) => advert(id, SourceCaps.PROCESS)));
    expect(allPages(page, 2).map((p) => p.collectors.map((c) => c.advert.id))).toEqual([
      ["c00000", "c00001"],
      ["c00002", "c00003"],
      ["c00004"],
    ]);
    const from = page({ after: "c00001x", limit: 2 });
    expect(from.collectors.map((c) => c.advert.id)).toEqual(["c00002", "c00003"]);
    expect(from.next).toBe("c00003");
    expect(page({ after: "c00004" })).toEqual({ coordinatorId: "c1", collectors: [], total: 5 });
  });

  it("coordinator - large adverts end a page early, so that every reply stays within the byte bound", () => {
    const labels = Object.fromEntries(
      Array.from({ length: 32 }, (_, i) => [`k${i}`, "v".repeat(256)]),
    );
    const all = ids(200);
    const { page } = view(all.map((id) => advert(id, SourceCaps.PROCESS, { labels })));
    const pages = allPages(page);
    expect(pages.length).toBeGreaterThan(1);
    for (const p of pages) {
      expect(encode(StatusReply, p).length).toBeLessThanOrEqual(MAX_STATUS_PAGE_BYTES + 1024);
    }
    expect(pages.flatMap((p) => p.collectors.map((c) => c.advert.id))).toEqual(all);
  });
});
