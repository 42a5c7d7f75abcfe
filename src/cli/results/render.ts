import type { AggregatedResult, Result } from "../../../subjects/index.js";
import { oneLine } from "../errors.js";
import { formatMs, jsonLine, summarizePayload, table } from "../format.js";
import { recognise, recordsOf } from "./records.js";
import { pathTable, processTable, socketTable } from "./tables.js";
import { formatCoverage } from "./coverage.js";

/** How `submit` prints: tables for people, one JSON line, or a JSON line per record. */
export const OUTPUT_FORMATS = ["table", "json", "jsonl"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Largest text shown for a payload of a collector whose results have no table. */
const OTHER_PAYLOAD_CHARS = 2000;

/** `attempt` is 0 on the first send; the table counts sends from 1. */
function sends(r: Pick<Result, "attempt">): number {
  return (r.attempt ?? 0) + 1;
}

/**
 * The status line (with re-sends), a line per result (collector, status, attempt, time, summary),
 * then each ok result as a table of its processes, sockets or paths.
 */
export function formatResult(r: AggregatedResult): string {
  const took = formatMs(Math.max(0, r.completedAt - r.startedAt));
  const resent = r.results.reduce((n, res) => n + (res.attempt ?? 0), 0);
  const head =
    `${r.status}: ${r.received} of ${r.expected} result${r.expected === 1 ? "" : "s"} in ${took}` +
    (resent > 0 ? `, ${resent} re-send${resent === 1 ? "" : "s"}` : "") +
    (r.duplicates > 0
      ? `, ${r.duplicates} duplicate${r.duplicates === 1 ? "" : "s"} dropped`
      : "") +
    ` (correlation ${r.correlationId})`;
  const lines = [head];
  if (r.error) lines.push(`error ${r.error.code}: ${oneLine(r.error.message)}`);
  const coverage = formatCoverage(r);
  if (coverage !== "") lines.push(coverage);
  else if (r.received < r.expected && r.status !== "complete" && r.status !== "cancelled") {
    // A cancelled submission says so in its error line; its results are not late.
    lines.push(
      `${r.expected - r.received} result(s) missing at the deadline; ` +
        "`collector-mesh status` shows whether the capable collectors are healthy",
    );
  }
  if (r.results.length === 0) return lines.join("\n");
  const rows = r.results.map((res) => [
    res.collectorId,
    res.status,
    String(sends(res)),
    formatMs(res.processingMs),
    res.status === "ok"
      ? summarizePayload(res.payload)
      : `${res.error?.code ?? "ERROR"}: ${oneLine(res.error?.message ?? "")}`,
  ]);
  lines.push(indent(table(["collector", "status", "attempt", "took", "result"], rows, [2, 3])));
  for (const res of r.results) {
    if (res.status !== "ok") continue;
    const detail = detailOf(res.payload);
    if (detail.length === 0) continue;
    const [first = "", ...rest] = detail;
    const again = sends(res) > 1 ? ` (attempt ${sends(res)})` : "";
    lines.push("", `${res.collectorId}${again}: ${first}`, ...rest.map(indent));
  }
  return lines.join("\n");
}

function detailOf(payload: unknown): string[] {
  const known = recognise(payload);
  switch (known.kind) {
    case "processes":
      return processTable(known.result);
    case "sockets":
      return socketTable(known.result);
    case "paths":
      return pathTable(known.result);
    case "other": {
      if (known.payload === undefined) return [];
      const text = jsonLine(known.payload);
      return text.length > OTHER_PAYLOAD_CHARS
        ? [`${text.slice(0, OTHER_PAYLOAD_CHARS - 1)}… (--json prints all of it)`]
        : [text];
    }
  }
}

/** `--output jsonl`: one JSON line per process, socket, path, other payload or error. */
export function formatJsonl(r: AggregatedResult): string {
  return r.results
    .flatMap((res) => recordsOf(res))
    .map(jsonLine)
    .join("\n");
}

function indent(block: string): string {
  return block
    .split("\n")
    .map((l) => (l === "" ? l : `  ${l}`))
    .join("\n");
}
