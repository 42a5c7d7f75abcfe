import { formatMs, percentile, table } from "../format.js";
import type { TaskOutcome } from "./workload.js";

export interface DemoSummary {
  tasks: number;
  completed: number;
  lost: number;
  perCollector: Map<string, number>;
  p50Ms: number;
  p99Ms: number;
  failovers: number;
  tasksMoved: number;
  wallMs: number;
}

export function summarize(
  total: number,
  outcomes: readonly TaskOutcome[],
  failovers: { events: number; tasksMoved: number },
  wallMs: number,
): DemoSummary {
  const perCollector = new Map<string, number>();
  let completed = 0;
  for (const o of outcomes) {
    if (!o.ok) continue;
    completed++;
    for (const id of o.collectorIds) perCollector.set(id, (perCollector.get(id) ?? 0) + 1);
  }
  const latencies = outcomes.filter((o) => o.ok).map((o) => o.latencyMs);
  latencies.sort((a, b) => a - b);
  return {
    tasks: total,
    completed,
    lost: total - completed,
    perCollector,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failovers: failovers.events,
    tasksMoved: failovers.tasksMoved,
    wallMs,
  };
}

/** The summary table: tasks per collector, then the totals. */
export function formatSummary(
  s: DemoSummary,
  collectors: readonly { id: string; type: string; killed: boolean }[],
): string {
  const rows = collectors.map((c) => [
    c.id,
    c.type,
    String(s.perCollector.get(c.id) ?? 0),
    c.killed ? "SIGKILLed midway" : "",
  ]);
  for (const [id, n] of s.perCollector) {
    if (!collectors.some((c) => c.id === id)) rows.push([id, "?", String(n), ""]);
  }
  const perCollector = table(["collector", "type", "tasks", ""], rows, [2]);
  const rate = s.wallMs > 0 ? Math.round((s.completed / s.wallMs) * 1000) : 0;
  const totals = table(
    ["", ""],
    [
      ["tasks", String(s.tasks)],
      ["completed", String(s.completed)],
      ["tasks lost", String(s.lost)],
      [
        "failovers",
        `${s.failovers}${s.failovers > 0 ? ` (${s.tasksMoved} task${s.tasksMoved === 1 ? "" : "s"} moved)` : ""}`,
      ],
      ["latency p50", formatMs(s.p50Ms)],
      ["latency p99", formatMs(s.p99Ms)],
      ["workload time", `${formatMs(s.wallMs)} (${rate} tasks/s)`],
    ],
  )
    .split("\n")
    .slice(1)
    .join("\n");
  return `${perCollector}\n\n${totals}`;
}
