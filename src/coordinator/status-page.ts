import {
  CollectorStatus,
  MAX_STATUS_PAGE,
  MAX_STATUS_PAGE_BYTES,
  type StatusReply,
  type StatusRequest,
} from "../../subjects/index.js";
import { encode } from "../codec.js";
import type { LoadBalancer } from "../balancer/index.js";
import type { CapabilityRouter } from "../router/index.js";

/**
 * Collectors with health, load and heartbeat age, by id. With a page request (`api.status`): those
 * after `page.after`, at most `page.limit` (MAX_STATUS_PAGE) and MAX_STATUS_PAGE_BYTES of them,
 * with `next` when more follow; without one, all of them.
 */
export function coordinatorStatus(
  coordinatorId: string,
  router: CapabilityRouter,
  balancer: LoadBalancer,
  now: number,
  page?: StatusRequest,
): StatusReply {
  const all = router.list();
  const statusOf = (c: (typeof all)[number]): CollectorStatus => ({
    advert: c.advert,
    health: c.health,
    heartbeatAgeMs: Math.max(0, now - c.lastSeen),
    inFlight: balancer.load(c.id),
    capacity: c.advert.maxConcurrency,
  });
  if (page === undefined) return { coordinatorId, collectors: all.map(statusOf) };
  const after = page.after;
  let i = after === undefined ? 0 : firstAfter(all, after);
  const limit = Math.min(page.limit ?? MAX_STATUS_PAGE, MAX_STATUS_PAGE);
  const collectors: CollectorStatus[] = [];
  let bytes = 0;
  for (; i < all.length && collectors.length < limit; i++) {
    const st = statusOf(all[i]!);
    const size = encode(CollectorStatus, st).length;
    if (collectors.length > 0 && bytes + size > MAX_STATUS_PAGE_BYTES) break;
    bytes += size;
    collectors.push(st);
  }
  const last = collectors.at(-1)?.advert.id;
  return {
    coordinatorId,
    collectors,
    total: all.length,
    ...(i < all.length && last !== undefined ? { next: last } : {}),
  };
}

/** Index of the first of `sorted` (by id) whose id sorts after `id`. */
function firstAfter(sorted: readonly { readonly id: string }[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
