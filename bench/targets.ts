/**
 * The run's ratios (e2e against the floor and against Moleculer, fan-out against one) and the
 * targets judged on them: those of the performance issue, on the fast path, medians over rounds.
 */
import type { RssResult } from "./rss.js";
import type { PathFigures } from "./rounds.js";
import { round1, round3, type Throughput } from "./stats.js";
import { fleetTargets } from "./fleet-table.js";
import { target as t, type PeerFigures, type Target } from "./table.js";

/** The peer the targets compare with: Moleculer with its default serializer. */
const MOLECULER = "moleculer_json";

export interface Ratios {
  pipelined_vs_floor?: number;
  pipelined_vs_moleculer?: number;
  pipelined_cpu_floor_vs_e2e?: number;
  cpu_sum_vs_moleculer?: number;
  p50_minus_floor_us?: number;
  fanout4_vs_sequential?: number;
}

/** CPU per round trip summed over the processes. */
function cpuSum(t: Throughput | undefined): number | undefined {
  const v = Object.values(t?.cpu_us_per_op ?? {});
  return v.length > 0 ? v.reduce((a, b) => a + b, 0) : undefined;
}

export function addRatios(out: Record<string, unknown>): void {
  const floor = out.floor as PathFigures | undefined;
  const e2e = out.e2e as (PathFigures & { fanout4?: PathFigures["sequential"] }) | undefined;
  const mol = (out.peers as Record<string, PeerFigures> | undefined)?.[MOLECULER];
  const ratios: Ratios = {};
  if (floor?.pipelined && e2e?.pipelined) {
    ratios.pipelined_vs_floor = round3(e2e.pipelined.per_s / floor.pipelined.per_s);
  }
  if (mol?.pipelined && e2e?.pipelined) {
    ratios.pipelined_vs_moleculer = round3(e2e.pipelined.per_s / mol.pipelined.per_s);
  }
  // With every round trip of a pipelined run moving in lockstep batches, throughput is about
  // 1 / (CPU per round trip summed over the processes): this ratio predicts pipelined_vs_floor.
  const ec = cpuSum(e2e?.pipelined);
  const fc = cpuSum(floor?.pipelined);
  const mc = cpuSum(mol?.pipelined);
  if (fc !== undefined && ec !== undefined && ec > 0) {
    ratios.pipelined_cpu_floor_vs_e2e = round3(fc / ec);
  }
  if (mc !== undefined && ec !== undefined && mc > 0) ratios.cpu_sum_vs_moleculer = round3(ec / mc);
  if (floor?.sequential && e2e?.sequential) {
    ratios.p50_minus_floor_us = round1(e2e.sequential.p50_us - floor.sequential.p50_us);
  }
  if (e2e?.fanout4 && e2e.sequential && e2e.sequential.p50_us > 0) {
    ratios.fanout4_vs_sequential = round3(e2e.fanout4.p50_us / e2e.sequential.p50_us);
  }
  if (Object.keys(ratios).length > 0) out.ratios = ratios;
}

export function targets(out: Record<string, unknown>): Record<string, Target> {
  const r = (out.ratios as Ratios | undefined) ?? {};
  const route = out.route as { p99_ns: number } | undefined;
  const select = out.select as { p99_ns: number } | undefined;
  const rss = out.rss as RssResult | undefined;
  const flood = out.flood as { p99_ratio: Record<string, number> } | undefined;
  const fleet = out.fleet as Record<string, unknown> | undefined;
  return {
    ...(fleet ? fleetTargets(fleet) : {}),
    pipelined_vs_moleculer: t(">= 1.3", r.pipelined_vs_moleculer, (v) => v >= 1.3),
    pipelined_vs_floor: t(">= 0.5", r.pipelined_vs_floor, (v) => v >= 0.5),
    cpu_sum_vs_moleculer: t("<= 0.75", r.cpu_sum_vs_moleculer, (v) => v <= 0.75),
    p50_minus_floor_us: t("<= 40", r.p50_minus_floor_us, (v) => v <= 40),
    fanout4_vs_sequential: t("<= 2.5", r.fanout4_vs_sequential, (v) => v <= 2.5),
    route_p99_ns: t("<= 2000", route?.p99_ns, (v) => v <= 2000),
    select_p99_ns: t("<= 2000", select?.p99_ns, (v) => v <= 2000),
    flood_p99_ratio: t(
      "<= 2",
      flood ? Math.max(...Object.values(flood.p99_ratio)) : undefined,
      (v) => v <= 2,
    ),
    // Judged on the 10⁶-task soak of --full; a shorter soak still includes the heap growing to
    // its working size, so it is reported but not judged.
    rss_growth:
      rss !== undefined && rss.tasks < 1_000_000
        ? { target: "<= 0.10 over 10^6 tasks (--full)", value: rss.growth, met: undefined }
        : t("<= 0.10", rss?.growth, (v) => Math.abs(v) <= 0.1),
  };
}
