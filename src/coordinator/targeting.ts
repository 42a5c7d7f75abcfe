import {
  MAX_NAMED_COLLECTORS,
  Selector,
  formatCaps,
  hasCaps,
  isToken,
  type CollectorAdvert,
} from "../../subjects/index.js";
import { InvalidArgumentError, NoMatchingCollectorError } from "../errors.js";

/** A submit's narrowing: a label selector, named instances, and a soft preference. */
export interface Targeting {
  readonly where: Selector | undefined;
  readonly collectors: ReadonlySet<string> | undefined;
  readonly prefer: Selector | undefined;
}

/** The wire form of a Targeting (what SubmitRequest and DurableSubmission carry). */
export interface TargetingFields {
  where?: string;
  collectors?: string[];
  prefer?: string;
}

/** Parses a submit's targeting once; SelectorError names the position of a selector's mistake. */
export function parseTargeting(o: {
  where?: string | undefined;
  collectors?: readonly string[] | undefined;
  prefer?: string | undefined;
}): Targeting | undefined {
  if (o.where === undefined && o.collectors === undefined && o.prefer === undefined) {
    return undefined;
  }
  let collectors: Set<string> | undefined;
  if (o.collectors !== undefined) {
    if (!Array.isArray(o.collectors) || o.collectors.length === 0) {
      throw new InvalidArgumentError("collectors", "must name at least one collector");
    }
    if (o.collectors.length > MAX_NAMED_COLLECTORS) {
      throw new InvalidArgumentError("collectors", `names more than ${MAX_NAMED_COLLECTORS}`);
    }
    for (const id of o.collectors) {
      if (typeof id !== "string" || !isToken(id)) {
        throw new InvalidArgumentError("collectors", `${JSON.stringify(id)} is not a collector id`);
      }
    }
    collectors = new Set(o.collectors);
  }
  return {
    where: o.where === undefined ? undefined : new Selector(o.where),
    collectors,
    prefer: o.prefer === undefined ? undefined : new Selector(o.prefer),
  };
}

/** The fields a Targeting travels as. */
export function targetingFields(t: Targeting | undefined): TargetingFields {
  if (t === undefined) return {};
  const out: TargetingFields = {};
  if (t.where !== undefined) out.where = t.where.text;
  if (t.collectors !== undefined) out.collectors = [...t.collectors];
  if (t.prefer !== undefined) out.prefer = t.prefer.text;
  return out;
}

/** True when the instance with this advert is one the submit may run on (prefer aside). */
export function fits(t: Targeting, advert: CollectorAdvert | undefined): boolean {
  if (advert === undefined) return false;
  if (t.collectors !== undefined && !t.collectors.has(advert.id)) return false;
  return t.where === undefined || t.where.matches(advert);
}

/** A fan-out's named instances it does not send to (unknown, unroutable, or not capable). */
export function notReached(named: Iterable<string> | undefined, sent: readonly string[]): string[] {
  if (named === undefined) return [];
  const planned = new Set(sent);
  return [...named].filter((id) => !planned.has(id));
}

/** The error of a submit whose targeting matches no routable capable collector. */
export function noMatch(required: number, t: Targeting): NoMatchingCollectorError {
  return new NoMatchingCollectorError(required, formatCaps(required), describe(t));
}

/** `where zone=eu, among c-1,c-2`: for errors and logs. */
export function describe(t: Targeting): string {
  const parts: string[] = [];
  if (t.where !== undefined) parts.push(`where ${t.where.text}`);
  if (t.collectors !== undefined) {
    const ids = [...t.collectors];
    const shown = ids.slice(0, 5).join(",") + (ids.length > 5 ? `,… (${ids.length})` : "");
    parts.push(`among ${shown}`);
  }
  return parts.join(", ");
}

/** What a targeted placement needs of the router and the balancer. */
export interface PlacementParts {
  readonly router: { get(id: string): { readonly advert: CollectorAdvert } | undefined };
  readonly balancer: {
    routable(required: number): readonly string[];
    isRoutable(id: string): boolean;
    load(id: string): number;
    assign(id: string, taskId?: string): boolean;
    selectCollector(
      required: number,
      taskId?: string,
      exclude?: ReadonlySet<string>,
    ): string | undefined;
  };
}

/**
 * Places a targeted `one` task: on the least loaded fitting instance that has room, a preferred
 * one first; with only a preference, on whichever the balancer picks when no preferred one has
 * room. Instances in `avoid` are passed over while another fits. null: nothing fits now (the
 * selector matches no routable instance); undefined: all that fit are full (the task waits).
 * Costs a pass over the capable instances: the price of narrowing, paid by targeted submits only.
 */
export function placeTargeted(
  p: PlacementParts,
  t: Targeting,
  required: number,
  taskId: string,
  avoid: ReadonlySet<string> | undefined,
): string | null | undefined {
  const narrowed = t.where !== undefined || t.collectors !== undefined;
  const fitting = narrowed ? routableFits(p, t, required) : p.balancer.routable(required);
  if (fitting.length === 0) return narrowed ? null : undefined;
  const prefer = t.prefer;
  if (prefer !== undefined) {
    // An instance that failed this task is not preferred: the task goes to another that fits
    // (a re-send after an attempt timeout would otherwise go back to the same silent instance).
    const preferred = fitting.filter((id) => {
      if (avoid?.has(id) === true) return false;
      const a = p.router.get(id)?.advert;
      return a !== undefined && prefer.matches(a);
    });
    const pick = leastLoaded(p, preferred, taskId, undefined);
    if (pick !== undefined) return pick;
  }
  if (!narrowed) return p.balancer.selectCollector(required, taskId, avoid);
  return leastLoaded(p, fitting, taskId, avoid);
}

/**
 * The routable instances advertising `required` that fit `t`: named instances are looked up one
 * by one (a hunt's part names one collector in a fleet of thousands), a selector alone scans.
 */
export function routableFits(p: PlacementParts, t: Targeting, required: number): string[] {
  if (t.collectors === undefined) {
    return p.balancer.routable(required).filter((id) => fits(t, p.router.get(id)?.advert));
  }
  p.balancer.routable(required); // NoCapableCollectorError when nobody advertises it
  const out: string[] = [];
  for (const id of t.collectors) {
    const advert = p.router.get(id)?.advert;
    if (advert === undefined || !p.balancer.isRoutable(id)) continue;
    if (hasCaps(advert.capabilities, required) && fits(t, advert)) out.push(id);
  }
  return out;
}

function leastLoaded(
  p: PlacementParts,
  ids: readonly string[],
  taskId: string,
  avoid: ReadonlySet<string> | undefined,
): string | undefined {
  let pool = ids;
  if (avoid !== undefined && avoid.size > 0) {
    const others = ids.filter((id) => !avoid.has(id));
    if (others.length > 0) pool = others;
  }
  const byLoad = [...pool].sort((a, b) => p.balancer.load(a) - p.balancer.load(b));
  for (const id of byLoad) if (p.balancer.assign(id, taskId)) return id;
  return undefined;
}
