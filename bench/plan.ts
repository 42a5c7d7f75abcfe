/**
 * The harness's command line and its plans (quick, default, full): how long each measurement runs.
 */

/** Phases, in the order they run; `moleculer` is both of its serializers. */
export const PHASES = [
  "route",
  "select",
  "floor",
  "e2e",
  "durable",
  "micro",
  "moleculer",
  "fanout4",
  "rss",
  "flood",
  "fleet",
] as const;
export type Phase = (typeof PHASES)[number];
/** What runs without --only: all but the flood (about a minute of its own) and the fleet. */
export const DEFAULT_PHASES: readonly Phase[] = PHASES.filter(
  (p) => p !== "flood" && p !== "fleet",
);

export interface Plan {
  name: "quick" | "default" | "full";
  /** Rounds of round-trip measurements; figures are medians over them. */
  rounds: number;
  /** Unmeasured pipelined load on each path before the first round. */
  jitWarmupMs: number;
  seqCount: number;
  seqWarmup: number;
  pipeMs: number;
  pipeWarmupMs: number;
  fanoutCount: number;
  soakTasks: number;
  /** Hostile messages of the flood phase (at 2,000/s), and its baseline without them. */
  floodMessages: number;
  floodBaselineMs: number;
}

export const PLANS: Record<Plan["name"], Plan> = {
  quick: {
    name: "quick",
    rounds: 1,
    jitWarmupMs: 200,
    seqCount: 200,
    seqWarmup: 100,
    pipeMs: 300,
    pipeWarmupMs: 100,
    fanoutCount: 100,
    soakTasks: 5_000,
    floodMessages: 4_000,
    floodBaselineMs: 2_000,
  },
  default: {
    name: "default",
    rounds: 3,
    jitWarmupMs: 1_500,
    seqCount: 2_000,
    seqWarmup: 300,
    pipeMs: 2_000,
    pipeWarmupMs: 300,
    fanoutCount: 1_000,
    soakTasks: 100_000,
    floodMessages: 100_000,
    floodBaselineMs: 20_000,
  },
  full: {
    name: "full",
    rounds: 5,
    jitWarmupMs: 3_000,
    seqCount: 5_000,
    seqWarmup: 500,
    pipeMs: 5_000,
    pipeWarmupMs: 500,
    fanoutCount: 5_000,
    soakTasks: 1_000_000,
    floodMessages: 100_000,
    floodBaselineMs: 30_000,
  },
};

export interface Args {
  json: boolean;
  plan: Plan;
  layout: "child" | "same";
  only: ReadonlySet<Phase>;
  /** The fleet phase's simulated collectors and simulator processes. */
  collectors: number;
  sims: number;
}

export function parseArgs(argv: string[]): Args {
  let json = false;
  let plan = PLANS.default;
  let layout: Args["layout"] = "child";
  let only = new Set<Phase>(DEFAULT_PHASES);
  let collectors = 1000;
  let sims = 4;
  const count = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new Error(`${flag} takes an integer of at least ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") json = true;
    else if (a === "--full") plan = PLANS.full;
    else if (a === "--quick") plan = PLANS.quick;
    else if (a === "--layout") {
      const v = argv[++i];
      if (v !== "child" && v !== "same") throw new Error("--layout takes child or same");
      layout = v;
    } else if (a === "--only") {
      const names = (argv[++i] ?? "").split(",").filter(Boolean);
      for (const n of names) {
        if (!PHASES.includes(n as Phase)) throw new Error(`--only: unknown phase ${n}`);
      }
      only = new Set(names as Phase[]);
    } else if (a === "--collectors") collectors = count(a, argv[++i], 10);
    else if (a === "--sims") sims = count(a, argv[++i], 1);
    else throw new Error(`unknown argument ${a}`);
  }
  return { json, plan, layout, only, collectors, sims };
}
