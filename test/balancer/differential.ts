import fc from "fast-check";
import { ManualClock, seededRng, type Deps } from "../../src/clock.js";
import type { BalancerCandidate, LoadBalancer } from "../../src/balancer/index.js";

/**
 * Drives two balancers through the same operations, the way the coordinator and the router do,
 * and reports the first difference in what they return or report. `indexed` receives the frozen
 * arrays a router hands out (one per capability set, rebuilt on re-score with fresh candidate
 * objects and new advert objects for collectors that heartbeated); `plain` receives copies of
 * the same arrays that are not frozen (so does `indexed` when `frozen` is false).
 */

type Advert = BalancerCandidate["advert"];
interface Cand {
  readonly id: string;
  readonly advert: Advert;
}

/** What a balancer under test must offer (the LoadBalancer's public methods used here). */
export type Balancer = Pick<
  LoadBalancer,
  | "selectCollector"
  | "release"
  | "recordSuccess"
  | "recordFailure"
  | "triggerFailover"
  | "forget"
  | "stats"
  | "tasksOf"
  | "load"
  | "isEjected"
>;

export type Op =
  | { kind: "select"; list: number; how: "list" | "pinned" | "avoid"; at: number }
  | { kind: "release"; pick: number }
  | { kind: "beat"; who: number; inFlight: number; max: number; weight: number }
  | { kind: "rescore"; list: number; seed: number }
  | { kind: "fail"; who: number; list: number }
  | { kind: "success"; who: number; latencyMs: number }
  | { kind: "tick"; ms: number }
  | { kind: "leave"; who: number }
  | { kind: "duplicate"; list: number }
  | { kind: "burst"; list: number; count: number; release: boolean };

const IDS = 7;
/** Members of each list: capability sets overlapping like the router's. */
const LISTS = [0b1111111, 0b0011111, 0b1111100, 0b1010101, 0b0000001, 0b1000010];

export const ops: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant("select" as const),
        list: fc.nat({ max: LISTS.length - 1 }),
        how: fc.constantFrom("list" as const, "list" as const, "list" as const, "pinned", "avoid"),
        at: fc.nat(),
      }),
    },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("beat" as const),
        who: fc.nat({ max: IDS - 1 }),
        inFlight: fc.nat({ max: 6 }),
        max: fc.constantFrom(0, 1, 2, 3, 5),
        weight: fc.constantFrom(0, 1, 1, 2, 3, 0.5, 1.5),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("rescore" as const),
        list: fc.nat({ max: LISTS.length - 1 }),
        seed: fc.nat(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("fail" as const),
        who: fc.nat({ max: IDS - 1 }),
        list: fc.nat({ max: LISTS.length - 1 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("success" as const),
        who: fc.nat({ max: IDS - 1 }),
        latencyMs: fc.nat({ max: 300 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("tick" as const),
        ms: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: -500, max: 20_000 })),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("leave" as const), who: fc.nat({ max: IDS - 1 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("duplicate" as const),
        list: fc.nat({ max: LISTS.length - 1 }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("burst" as const),
        list: fc.nat({ max: LISTS.length - 1 }),
        count: fc.integer({ min: 1, max: 60 }),
        release: fc.boolean(),
      }),
    },
  ),
  { minLength: 1, maxLength: 300, size: "max" },
);

function shuffled<T>(items: T[], seed: number): T[] {
  const rng = seededRng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Runs `steps` on both balancers; returns undefined when they agree throughout, else why not. */
export function compare(
  create: (deps: () => Deps) => { indexed: Balancer; plain: Balancer },
  steps: Op[],
  frozen = true,
): string | undefined {
  const clock = new ManualClock(1_000_000);
  // One clock for both, an rng each (same seed).
  const { indexed, plain } = create(() => ({ clock, rng: seededRng(9) }));
  // Collectors 0-3 report a heartbeat sequence, 4-6 do not (load is then max(own, advertised)).
  const adverts: (Advert | undefined)[] = Array.from({ length: IDS }, (_, i) => ({
    maxConcurrency: 1 + (i % 4),
    inFlight: 0,
    weight: 1 + (i % 3),
    ...(i < 4 ? { heartbeatSeq: 1 } : {}),
  }));
  const build = (list: number, seed: number): readonly Cand[] => {
    const ids: number[] = [];
    for (let i = 0; i < IDS; i++) if ((LISTS[list]! >> i) & 1 && adverts[i]) ids.push(i);
    return Object.freeze(shuffled(ids, seed).map((i) => ({ id: `c${i}`, advert: adverts[i]! })));
  };
  const lists = LISTS.map((_, j) => build(j, j));
  const outstanding: [string, string][] = [];
  let next = 0;
  const same = (what: string, a: unknown, b: unknown): string | undefined => {
    const x = JSON.stringify(a);
    const y = JSON.stringify(b);
    return x === y ? undefined : `${what}: indexed ${x} but plain ${y}`;
  };
  for (let step = 0; step < steps.length; step++) {
    const o = steps[step]!;
    let diff: string | undefined;
    switch (o.kind) {
      case "select": {
        const list = lists[o.list]!;
        let a: readonly Cand[] = list;
        if (o.how === "pinned" && list.length > 0) a = [list[o.at % list.length]!];
        if (o.how === "avoid" && list.length > 1) {
          const avoid = list[o.at % list.length]!.id;
          a = list.filter((c) => c.id !== avoid);
        }
        const taskId = `t${next++}`;
        const pa = indexed.selectCollector(1, frozen ? a : [...a], taskId);
        const pb = plain.selectCollector(1, [...a], taskId);
        diff = same("pick", pa?.id ?? null, pb?.id ?? null);
        if (pa !== null && !a.includes(pa)) diff = `picked ${pa.id}, not one of the candidates`;
        if (pa !== null) outstanding.push([pa.id, taskId]);
        break;
      }
      case "release": {
        if (outstanding.length === 0) break;
        const [id, taskId] = outstanding.splice(o.pick % outstanding.length, 1)[0]!;
        indexed.release(id, taskId);
        plain.release(id, taskId);
        break;
      }
      case "beat": {
        const prev = adverts[o.who];
        if (prev === undefined) break;
        adverts[o.who] = {
          maxConcurrency: o.max,
          inFlight: o.inFlight,
          weight: o.weight,
          ...(prev.heartbeatSeq !== undefined ? { heartbeatSeq: prev.heartbeatSeq + 1 } : {}),
        };
        break;
      }
      case "rescore":
        lists[o.list] = build(o.list, o.seed);
        break;
      case "fail": {
        const id = `c${o.who}`;
        const fa = indexed.recordFailure(id, "boom");
        const fb = plain.recordFailure(id, "boom");
        diff = same("recordFailure", fa, fb);
        if (fa && fb) {
          const others = lists[o.list]!.filter((c) => c.id !== id);
          const ea = indexed.triggerFailover(id, others, 1);
          const eb = plain.triggerFailover(id, [...others], 1);
          diff ??= same("failover", ea, eb);
          for (let i = outstanding.length - 1; i >= 0; i--) {
            if (outstanding[i]![0] === id) outstanding.splice(i, 1);
          }
        }
        break;
      }
      case "success":
        indexed.recordSuccess(`c${o.who}`, o.latencyMs);
        plain.recordSuccess(`c${o.who}`, o.latencyMs);
        break;
      case "tick":
        clock.advance(o.ms);
        break;
      case "leave": {
        // The collector leaves and comes back at once as a new instance (fresh state), as after
        // a restart; lists built before keep naming it until they are rebuilt.
        const id = `c${o.who}`;
        indexed.forget(id);
        plain.forget(id);
        for (let i = outstanding.length - 1; i >= 0; i--) {
          if (outstanding[i]![0] === id) outstanding.splice(i, 1);
        }
        break;
      }
      case "burst": {
        // Many picks in a row from one list, as the coordinator makes between two re-scores.
        const list = lists[o.list]!;
        for (let k = 0; k < o.count && diff === undefined; k++) {
          const taskId = `t${next++}`;
          const pa = indexed.selectCollector(1, frozen ? list : [...list], taskId);
          const pb = plain.selectCollector(1, [...list], taskId);
          diff = same(`pick ${k} of the burst`, pa?.id ?? null, pb?.id ?? null);
          if (pa === null) continue;
          if (o.release) {
            indexed.release(pa.id, taskId);
            plain.release(pa.id, taskId);
          } else {
            outstanding.push([pa.id, taskId]);
          }
        }
        break;
      }
      case "duplicate": {
        const list = lists[o.list]!;
        if (list.length > 0) lists[o.list] = Object.freeze([...list, { ...list[0]! }]);
        break;
      }
    }
    diff ??= same("stats", indexed.stats(), plain.stats());
    if (diff !== undefined) return `step ${step} (${JSON.stringify(o)}): ${diff}`;
  }
  return undefined;
}
