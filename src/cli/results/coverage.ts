import type { AggregatedResult, InstanceOutcome } from "../../../subjects/index.js";
import { coverageCounts } from "../../aggregator/coverage.js";
import { table } from "../format.js";

/** Most instances listed one per line; past it only those that did not answer ok are. */
const LIST_ALL_UP_TO = 50;

const WHY: Record<InstanceOutcome["state"], string> = {
  ok: "answered",
  error: "answered with an error",
  timed_out: "sent, no final answer by the deadline",
  lost: "left while running it",
  not_reached: "never sent: unknown, unavailable or without the capability",
  cancelled: "cancelled",
};

/**
 * A fan-out's coverage: one line of counts, then the instances that did not answer ok (all of
 * them when there are few), each with why.
 */
export function formatCoverage(r: AggregatedResult): string {
  const instances = r.instances;
  if (instances === undefined || instances.length === 0) return "";
  const n = coverageCounts(instances);
  const head =
    `instances: ${instances.length} targeted, ${n.ok} ok, ${n.error} error, ` +
    `${n.timed_out} timed out, ${n.lost} lost, ${n.not_reached} not reached` +
    (n.cancelled > 0 ? `, ${n.cancelled} cancelled` : "");
  const shown =
    instances.length <= LIST_ALL_UP_TO ? instances : instances.filter((i) => i.state !== "ok");
  if (shown.length === 0) return head;
  const rows = shown.map((i) => [i.collectorId, i.state, i.code ?? "", WHY[i.state]]);
  const more =
    shown.length < instances.length ? `\n  (${instances.length - shown.length} ok not listed)` : "";
  const body = table(["instance", "state", "code", "why"], rows)
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
  return `${head}\n${body}${more}`;
}
