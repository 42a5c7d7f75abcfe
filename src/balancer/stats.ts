import type { Instance } from "./instance.js";
import type { InstanceStats, LoadBalancingStats } from "./types.js";

type Listed = Pick<
  LoadBalancingStats,
  "averageLoad" | "maxLoad" | "instances" | "instancesOmitted"
>;

/** Busy, failing or ejected: listed before idle, healthy instances when not all fit. */
function telling(i: InstanceStats): boolean {
  return i.load > 0 || i.consecutiveFailures > 0 || i.state !== "closed";
}

/**
 * The instances' part of LoadBalancer.stats(): load over all of them, and at most `max` of them
 * by id (busy or troubled ones first when not all fit; `instancesOmitted` counts the rest).
 */
export function instanceFigures(all: Iterable<Instance>, now: number, max: number): Listed {
  let total = 0;
  let maxLoad = 0;
  const entries: [string, InstanceStats][] = [];
  for (const s of all) {
    total += s.load;
    if (s.load > maxLoad) maxLoad = s.load;
    entries.push([s.id, s.stats(now)]);
  }
  const byId = (a: [string, unknown], b: [string, unknown]) =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
  const n = entries.length;
  entries.sort(byId);
  let listed = entries;
  if (n > max) {
    listed = [...entries.filter(([, i]) => telling(i)), ...entries.filter(([, i]) => !telling(i))];
    listed.length = Math.max(0, max);
    listed.sort(byId);
  }
  return {
    averageLoad: n === 0 ? 0 : total / n,
    maxLoad,
    instances: Object.fromEntries(listed),
    ...(listed.length < n ? { instancesOmitted: n - listed.length } : {}),
  };
}
