/** The fleet phase's rows of the stdout report, and its targets (see BENCHMARKS.md, "Fleet"). */
import { target as t, type Target } from "./table.js";

type Row = string[];
type Fleet = Record<string, unknown>;

interface Idle {
  cpu_percent: Record<string, number>;
  kv_puts_per_s: number;
  kv_puts_per_collector_per_s: number;
  bytes_per_advert_stored: number;
  server_bytes_per_collector_per_s: number;
}
interface Fan {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  runs: number;
}

interface HuntFig {
  collectors: number;
  full_coverage_ms: number;
  parts_sent_per_s?: number;
  rate_asked_per_s: number;
  completeness: Record<"ok" | "error" | "timedOut" | "lost" | "cancelled" | "missing", number>;
  runs_above_one: number;
}

const pct = (x: number | undefined) => (x === undefined ? "-" : `${x} %`);

export function fleetRows(f: Fleet): Row[] {
  const n = f.collectors as number;
  const rows: Row[] = [];
  const d = f.discovery as { from_first_collector_ms: number; from_spawn_ms: number };
  rows.push([
    `fleet: ${n} collectors discovered`,
    `${d.from_first_collector_ms} ms`,
    `${d.from_spawn_ms} ms from spawn`,
  ]);
  const idleRows = (label: string, i: Idle | undefined) => {
    if (!i) return;
    const { coordinator, nats_server, ...sims } = i.cpu_percent;
    const simCpu = Object.values(sims);
    rows.push([
      `  idle cpu ${label}: coordinator / nats-server`,
      pct(coordinator),
      pct(nats_server),
    ]);
    rows.push([`  idle cpu ${label}: each simulator`, simCpu.map((x) => `${x} %`).join(" "), ""]);
    rows.push([
      `  kv puts ${label}`,
      `${i.kv_puts_per_s} /s`,
      `${i.kv_puts_per_collector_per_s} /s per collector`,
    ]);
    rows.push([
      `  server traffic per collector ${label}`,
      `${i.server_bytes_per_collector_per_s} B/s`,
      `${i.bytes_per_advert_stored} B stored per advert`,
    ]);
  };
  idleRows("after discovery", f.idle as Idle | undefined);
  const fan = f.fanout as { memory: Fan; durable?: Fan };
  for (const [k, v] of Object.entries(fan)) {
    if (v)
      rows.push([
        `  fan-out all, ${k} (${v.runs} runs) p50 / p99, max`,
        `${v.p50_ms} ms`,
        `${v.p99_ms} ms, ${v.max_ms} ms`,
      ]);
  }
  const one = f.one as {
    per_s_all_candidates: number;
    per_s_ten_candidates: number;
    ratio: number;
    in_flight: number;
  };
  rows.push([
    `  one (${one.in_flight} in flight): ${n} / 10 candidates`,
    `${one.per_s_all_candidates} /s`,
    `${one.per_s_ten_candidates} /s (${one.ratio})`,
  ]);
  idleRows("after the load", f.idle_after_load as Idle | undefined);
  rows.push(["  collectors wrongly judged stale or failed over", String(f.judged_wrongly), ""]);
  rows.push([
    `  coordinator (${[f.coordinator_layout, f.coordinator_node_options].filter(Boolean).join(", ")}) rss idle / peak`,
    `${String(f.rss_idle_mb)} MB`,
    `${String(f.rss_peak_mb)} MB`,
  ]);
  const op = f.operator as Record<string, unknown> | undefined;
  if (op) {
    rows.push([
      "  status: collectors read / stats: instances listed",
      `${String(op.status_rows)} in ${String(op.status_ms)} ms`,
      `${String(op.stats_instances_listed)} in ${String(op.stats_ms)} ms`,
    ]);
  }
  const h = f.hunt as HuntFig | undefined;
  if (h) {
    rows.push([
      `  hunt over ${h.collectors}: full coverage / parts sent`,
      `${h.full_coverage_ms} ms`,
      `${h.parts_sent_per_s ?? "-"} /s (asked ${h.rate_asked_per_s} /s)`,
    ]);
    const c = h.completeness;
    rows.push([
      "    ok / error, timed out, lost, cancelled, missing",
      String(c.ok),
      `${c.error}, ${c.timedOut}, ${c.lost}, ${c.cancelled}, ${c.missing}`,
    ]);
  }
  const k = f.kill as Record<string, number | undefined> | undefined;
  if (k) {
    rows.push([
      `  SIGKILL of ${k.killed_collectors} during a fan-out: lost / ok`,
      String(k.lost),
      String(k.completed_ok),
    ]);
    rows.push([
      "    last part lost after the kill / fan-out took",
      `${k.last_lost_after_kill_ms} ms`,
      `${k.fanout_ms} ms`,
    ]);
    rows.push([
      "    lost elsewhere / other errors / wrongly judged",
      String(k.lost_not_on_victim),
      `${k.other_errors} / ${k.judged_wrongly}`,
    ]);
  }
  return rows;
}

export function fleetTargets(f: Fleet): Record<string, Target> {
  const idle = f.idle as Idle | undefined;
  const fan = f.fanout as { memory: Fan; durable?: Fan };
  const runs: Fan[] = fan.durable ? [fan.memory, fan.durable] : [fan.memory];
  const worst = (g: (x: Fan) => number) => Math.max(...runs.map(g));
  const k = f.kill as Record<string, number | undefined> | undefined;
  const n = f.collectors as number;
  const h = f.hunt as HuntFig | undefined;
  return {
    fleet_hunt_complete: t(
      "every collector ok once",
      h === undefined ? undefined : h.collectors - h.completeness.ok + h.runs_above_one,
      (v) => v === 0,
    ),
    fleet_discovery_ms: t(
      "<= 15000",
      (f.discovery as { from_first_collector_ms: number }).from_first_collector_ms,
      (v) => v <= 15_000,
    ),
    fleet_idle_coordinator_pct: t("<= 5", idle?.cpu_percent.coordinator, (v) => v <= 5),
    fleet_idle_nats_pct: t("<= 10", idle?.cpu_percent.nats_server, (v) => v <= 10),
    fleet_fanout_p50_ms: t(
      "<= 2000",
      worst((x) => x.p50_ms),
      (v) => v <= 2000,
    ),
    fleet_fanout_max_ms: t(
      "<= 5000",
      worst((x) => x.max_ms),
      (v) => v <= 5000,
    ),
    fleet_judged_wrongly: t("== 0", f.judged_wrongly as number, (v) => v === 0),
    fleet_one_ratio: t(">= 0.85", (f.one as { ratio: number }).ratio, (v) => v >= 0.85),
    fleet_rss_peak_mb: t("<= 300", f.rss_peak_mb as number, (v) => v <= 300),
    fleet_kill_lost_within_ms: t("<= 5000", k?.last_lost_after_kill_ms, (v) => v <= 5000),
    fleet_kill_rest_complete: t(
      "ok + lost = all, none lost elsewhere",
      k === undefined
        ? undefined
        : (k.completed_ok ?? 0) +
            (k.lost ?? 0) -
            n +
            (k.lost_not_on_victim ?? 0) +
            (k.other_errors ?? 0),
      (v) => v === 0,
    ),
  };
}
