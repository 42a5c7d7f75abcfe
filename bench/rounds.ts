/**
 * Round-trip paths measured side by side: each round runs every path pipelined, then every path
 * sequential, in a fixed order, so that a change in machine load shows in all of them; each
 * figure is the median over the rounds.
 */
import type { Plan } from "./plan.js";
import {
  medianLatency,
  medianThroughput,
  pipelined,
  sequential,
  type CpuMeter,
  type Latency,
  type RoundTrip,
  type Throughput,
} from "./stats.js";

/** One path: its round trip and the processes whose CPU it costs. */
export interface RoundTripPath {
  /** Key in the JSON (`floor`, `e2e`, `micro`, `moleculer_json`, …). */
  name: string;
  op: RoundTrip;
  meter: CpuMeter | undefined;
}

export interface PathFigures {
  sequential?: Latency;
  pipelined?: Throughput;
}

/** Unmeasured pipelined load on each path, so that V8 has optimized all of them. */
export async function warmUp(
  paths: readonly RoundTripPath[],
  inFlight: number,
  ms: number,
): Promise<void> {
  for (const p of paths) await pipelined(p.op, inFlight, ms, 0);
}

export async function measureRounds(
  paths: readonly RoundTripPath[],
  plan: Plan,
  inFlight: number,
  log: (msg: string) => void,
): Promise<{ rounds: Record<string, PathFigures>[]; medians: Record<string, PathFigures> }> {
  const rounds: Record<string, PathFigures>[] = [];
  for (let r = 1; r <= plan.rounds; r++) {
    const round: Record<string, PathFigures> = {};
    for (const p of paths) round[p.name] = {};
    const tag = `round ${r}/${plan.rounds}`;
    for (const p of paths) {
      log(`${tag} ${p.name} pipelined: ${inFlight} in flight for ${plan.pipeMs} ms`);
      round[p.name]!.pipelined = await pipelined(
        p.op,
        inFlight,
        plan.pipeMs,
        plan.pipeWarmupMs,
        p.meter,
      );
    }
    for (const p of paths) {
      log(`${tag} ${p.name} sequential: ${plan.seqCount} round trips`);
      round[p.name]!.sequential = await sequential(p.op, plan.seqCount, plan.seqWarmup, p.meter);
    }
    rounds.push(round);
  }
  const medians: Record<string, PathFigures> = {};
  for (const p of paths) {
    medians[p.name] = {
      pipelined: medianThroughput(rounds.map((r) => r[p.name]!.pipelined!)),
      sequential: medianLatency(rounds.map((r) => r[p.name]!.sequential!)),
    };
  }
  return { rounds, medians };
}
