/**
 * The human-readable report on stdout: one row per figure, then every round-trip path side by
 * side (the NATS floor, collector-mesh end to end, and the peers).
 */
import type { RssResult } from "./rss.js";
import type { PathFigures } from "./rounds.js";
import type { Latency, Throughput } from "./stats.js";
import { fleetRows } from "./fleet-table.js";
import type { Ratios } from "./targets.js";

export interface Target {
  target: string;
  value: number | undefined;
  met: boolean | undefined;
}

/** A target's entry: met when `value` was measured and passes `ok`, undecided when not measured. */
export function target(
  what: string,
  value: number | undefined,
  ok: (v: number) => boolean,
): Target {
  return { target: what, value, met: value === undefined ? undefined : ok(value) };
}

/** A peer's entry in the JSON: its figures, what it is, and how it compares with the floor. */
export interface PeerFigures extends PathFigures {
  label: string;
  library: string;
  vs_floor?: { pipelined?: number; p50_minus_us?: number };
}

type Row = string[];

const num = (x: number | undefined, unit = ""): string =>
  x === undefined ? "-" : `${x.toLocaleString("en-US")}${unit ? " " + unit : ""}`;

export function render(head: Row, rows: Row[], leftColumns = 1): string[] {
  const w = head.map((_, i) => Math.max(...[head, ...rows].map((r) => (r[i] ?? "").length)));
  const line = (r: Row): string =>
    r
      .map((c, i) => (i < leftColumns ? c.padEnd(w[i]!) : c.padStart(w[i]!)))
      .join("  ")
      .trimEnd();
  return [line(head), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)];
}

function figureRows(out: Record<string, unknown>): Row[] {
  const rows: Row[] = [];
  const route = out.route as { collectors: number; p50_ns: number; p99_ns: number } | undefined;
  const select = out.select as { collectors: number; p50_ns: number; p99_ns: number } | undefined;
  const floor = out.floor as PathFigures | undefined;
  const e2e = out.e2e as (PathFigures & { fanout4?: Latency }) | undefined;
  const ratios = out.ratios as Ratios | undefined;
  const rss = out.rss as RssResult | undefined;
  if (route)
    rows.push([
      `route (${route.collectors} collectors)`,
      num(route.p50_ns, "ns"),
      num(route.p99_ns, "ns"),
    ]);
  if (select)
    rows.push([
      `select (${select.collectors} collectors)`,
      num(select.p50_ns, "ns"),
      num(select.p99_ns, "ns"),
    ]);
  const cpuRows = (perOp: Record<string, number> | undefined): void => {
    for (const [k, v] of Object.entries(perOp ?? {})) {
      rows.push([`  cpu per round trip: ${k}`, num(v, "µs"), ""]);
    }
  };
  const lat = (name: string, l: Latency | undefined): void => {
    if (!l) return;
    rows.push([name, num(l.p50_us, "µs"), num(l.p99_us, "µs")]);
    cpuRows(l.cpu_us_per_op);
  };
  const thr = (name: string, x: Throughput | undefined): void => {
    if (!x) return;
    rows.push([`${name} (${x.in_flight} in flight)`, num(x.per_s, "/s"), ""]);
    cpuRows(x.cpu_us_per_op);
  };
  lat("floor sequential", floor?.sequential);
  lat("e2e sequential", e2e?.sequential);
  thr("floor pipelined", floor?.pipelined);
  thr("e2e pipelined", e2e?.pipelined);
  lat("e2e fanout4 sequential", e2e?.fanout4);
  if (ratios?.pipelined_vs_floor !== undefined)
    rows.push(["e2e / floor pipelined", String(ratios.pipelined_vs_floor), ""]);
  if (ratios?.pipelined_cpu_floor_vs_e2e !== undefined)
    rows.push(["  floor / e2e cpu per round trip", String(ratios.pipelined_cpu_floor_vs_e2e), ""]);
  if (ratios?.pipelined_vs_moleculer !== undefined)
    rows.push(["e2e / moleculer JSON pipelined", String(ratios.pipelined_vs_moleculer), ""]);
  if (ratios?.cpu_sum_vs_moleculer !== undefined)
    rows.push(["  e2e / moleculer cpu per round trip", String(ratios.cpu_sum_vs_moleculer), ""]);
  if (ratios?.p50_minus_floor_us !== undefined)
    rows.push(["e2e − floor p50", num(ratios.p50_minus_floor_us, "µs"), ""]);
  if (ratios?.fanout4_vs_sequential !== undefined)
    rows.push(["fanout4 / e2e sequential p50", String(ratios.fanout4_vs_sequential), ""]);
  if (rss) {
    const mb = (g: { start_mb: number; end_mb: number; growth: number }): [string, string] => [
      `${g.start_mb} MB`,
      `${g.end_mb} MB (${(g.growth * 100).toFixed(1)} %)`,
    ];
    rows.push([`rss after ${rss.tasks / 10} / ${rss.tasks} tasks`, ...mb(rss)]);
    const [p0, p1] = [rss.peaks_mb[0] ?? NaN, rss.peaks_mb[rss.peaks_mb.length - 1] ?? NaN];
    rows.push([
      "  peak rss, first / last tenth",
      `${p0} MB`,
      `${p1} MB (${(rss.peak_growth * 100).toFixed(1)} %)`,
    ]);
    for (const [name, g] of Object.entries(rss.others ?? {}))
      rows.push([`  rss of ${name}`, ...mb(g)]);
  }
  return rows;
}

/** CPU per round trip of each process, in the meter's order (caller / worker / nats-server). */
const cpuCell = (perOp: Record<string, number> | undefined): string =>
  perOp
    ? Object.values(perOp)
        .map((v) => num(v))
        .join(" / ")
    : "-";

/** Every round-trip path of the run side by side (empty when none ran). */
export function pathRows(out: Record<string, unknown>): Row[] {
  const floor = out.floor as PathFigures | undefined;
  const paths: [string, PathFigures | undefined][] = [
    ["floor (plain NATS)", floor],
    ["e2e (collector-mesh)", out.e2e as PathFigures | undefined],
    ...Object.values((out.peers ?? {}) as Record<string, PeerFigures>).map(
      (p): [string, PathFigures] => [p.label, p],
    ),
  ];
  const rows: Row[] = [];
  for (const [label, f] of paths) {
    if (!f?.pipelined || !f.sequential) continue;
    const vsFloor = floor?.pipelined ? f.pipelined.per_s / floor.pipelined.per_s : undefined;
    rows.push([
      label,
      num(f.pipelined.per_s),
      vsFloor === undefined ? "-" : vsFloor.toFixed(3),
      num(f.sequential.p50_us),
      num(f.sequential.p99_us),
      cpuCell(f.pipelined.cpu_us_per_op),
      cpuCell(f.sequential.cpu_us_per_op),
    ]);
  }
  return rows;
}

export function printTable(out: Record<string, unknown>): void {
  const print = (s: string): void => void process.stdout.write(s + "\n");
  const m = out.machine as { nproc: number; node: string; nats_server: string };
  print(
    `collector-mesh bench (${String(out.plan)}, layout ${String(out.layout)}): ` +
      `${m.nproc} cpus, node ${m.node}, nats-server ${m.nats_server}, ` +
      `load ${(out.load_start as number[]).join(" ")} → ${(out.load_end as number[]).join(" ")}`,
  );
  for (const l of render(["measure", "p50 / value", "p99"], figureRows(out))) print(l);
  const paths = pathRows(out);
  if (paths.length > 0) {
    print("");
    const head = [
      "path (64 in flight | 1 at a time)",
      "pipelined /s",
      "× floor",
      "seq p50 µs",
      "seq p99 µs",
      "cpu µs/rt pipelined",
      "cpu µs/rt sequential",
    ];
    for (const l of render(head, paths)) print(l);
    print(
      "cpu per round trip: caller / worker / nats-server (one figure for caller+worker with --layout same)",
    );
  }
  if (out.fleet) {
    print("");
    for (const l of render(["fleet", "value", ""], fleetRows(out.fleet as Record<string, unknown>)))
      print(l);
  }
  const tg = out.targets as Record<string, Target>;
  const verdicts = Object.entries(tg)
    .filter(([, v]) => v.met !== undefined)
    .map(([k, v]) => `${k} ${v.target}: ${v.met ? "met" : "NOT met"}`);
  if (verdicts.length > 0) print(`targets: ${verdicts.join("; ")}`);
  print(`${String(out.seconds)} s`);
}
