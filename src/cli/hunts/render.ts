import { formatCaps, type HuntPartResult, type HuntRecord } from "../../../subjects/index.js";
import type { HuntView } from "../../hunts/client.js";
import type { HuntProgress } from "../../hunts/counts.js";
import { oneLine } from "../errors.js";
import { clockTime, formatMs, table } from "../format.js";
import { formatResult } from "../results/render.js";

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** What a hunt asks and how it stands, in a few lines. */
export function describeHunt(r: HuntRecord): string[] {
  const target = [
    formatCaps(r.requiredCapabilities),
    r.where !== undefined ? `where ${r.where}` : "",
    r.collectors !== undefined ? `collectors ${r.collectors.join(",")}` : "",
  ].filter((s) => s !== "");
  return [
    `hunt ${r.huntId}: ${r.state}${r.reason !== undefined ? ` (${oneLine(r.reason)})` : ""}`,
    `  started by ${r.createdBy} at ${new Date(r.createdAt).toISOString()}, expires ${new Date(r.expiresAt).toISOString()}`,
    `  targets ${target.join(" ")}; each part ${formatMs(r.timeoutMs)}`,
    `  at most ${r.ratePerSec} new part(s)/s; pauses past ${pct(r.maxErrorRate)} errors and timeouts after ${r.minParts} part(s)`,
  ];
}

/**
 * What `hunt start` says last: how many collectors match now, or that the hunt waits for one to
 * join (until it expires), or that no coordinator has counted them yet.
 */
export function startedLine(r: HuntRecord, follow: string): string {
  const until = new Date(r.expiresAt).toISOString();
  if (r.matched === undefined) {
    return `no coordinator has counted the matching collectors yet; they get their part as coordinators see them: ${follow}`;
  }
  if (r.matched === 0) {
    return `no matching collector yet: the hunt waits for one to join until ${until}; ${follow}`;
  }
  return `${r.matched} matching collector(s) now, and any that join until ${until}: ${follow}`;
}

/** `targeted 12  answered 9  errors 1  pending 2  ETA 4.0 s`. */
export function progressLine(p: HuntProgress, waiting: boolean): string {
  const base = `targeted ${p.targeted}  answered ${p.answered}  errors ${p.errors}  pending ${p.pending}`;
  if (p.targeted === 0) {
    return waiting ? `${base}  (no matching collector yet: waiting for one to join)` : base;
  }
  const eta =
    p.etaSec === undefined
      ? "ETA ?"
      : p.pending === 0
        ? "done"
        : `ETA ${formatMs(p.etaSec * 1000)}`;
  return `${base}  ${eta}`;
}

/** `hunt show`: the description, progress, then a row per collector's part. */
export function formatView(v: HuntView): string {
  const rows = v.parts.map((c) => [
    c.collectorId,
    c.state,
    c.code ?? "",
    String(c.runs),
    clockTime(c.sentAt),
    c.finishedAt !== undefined ? formatMs(c.finishedAt - c.sentAt) : "",
  ]);
  const lines = [
    ...describeHunt(v.record),
    `  ${progressLine(v.progress, v.record.state === "running")}`,
  ];
  if (rows.length > 0) {
    lines.push("", table(["collector", "part", "code", "runs", "sent", "took"], rows, [3]));
  }
  return lines.join("\n");
}

/** `hunt ls`. */
export function formatList(hunts: readonly HuntRecord[]): string {
  if (hunts.length === 0) return "no hunts";
  const rows = hunts.map((h) => [
    h.huntId,
    h.state,
    h.createdBy,
    new Date(h.createdAt).toISOString(),
    new Date(h.expiresAt).toISOString(),
    h.matched !== undefined ? String(h.matched) : "",
    oneLine(h.reason ?? ""),
  ]);
  return table(["hunt", "state", "by", "created", "expires", "matched", "reason"], rows, [5]);
}

/** `hunt results`: a part's outcome, then its results as `submit` prints them. */
export function formatPart(p: HuntPartResult): string {
  const head = `${p.collectorId}: ${p.state}${p.code !== undefined ? ` ${p.code}` : ""}, ${p.results.length} result(s)${p.truncated ? " (truncated)" : ""}${p.runs > 1 ? `, run ${p.runs}` : ""}`;
  if (p.results.length === 0) return head;
  const body = formatResult({
    correlationId: p.results[0]?.correlationId ?? p.huntId,
    status: p.state === "ok" ? "complete" : "partial",
    results: p.results,
    expected: 1,
    received: 1,
    duplicates: 0,
    startedAt: p.at,
    completedAt: p.at,
  });
  // The per-result table without the aggregate's status line.
  return [head, ...body.split("\n").slice(1)].join("\n");
}
