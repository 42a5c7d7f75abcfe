/** Output helpers: JSON-safe values, tables, durations. */

/**
 * A value JSON.stringify can print faithfully: bigint as a decimal string, Uint8Array as base64
 * (`{ base64 }`), Map as an object, Date as ISO text; undefined fields dropped.
 */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString("base64") };
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of value as Map<unknown, unknown>) o[String(k)] = jsonSafe(v);
    return o;
  }
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) o[k] = jsonSafe(v);
    return o;
  }
  return value;
}

/** One JSON line. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(jsonSafe(value));
}

/** Left-aligned columns; `right` names the columns aligned right. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 5 min`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return s === 0 ? `${m} min` : `${m} min ${s} s`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** A duration as the command line writes it: `1h`, `10m`, `5s`, `250ms`. */
export function durationArgText(ms: number): string {
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** `HH:MM:SS.mmm` local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * A short, human summary of a result payload: the length of each list field and a few scalar
 * fields, e.g. `processes: 3 (matched 3)`; otherwise compact JSON cut to `max` characters.
 */
export function summarizePayload(payload: unknown, max = 100): string {
  if (payload === undefined) return "(no payload)";
  if (payload !== null && typeof payload === "object" && !Array.isArray(payload)) {
    const parts: string[] = [];
    const scalars: string[] = [];
    for (const [k, v] of Object.entries(payload as Record<string, unknown>)) {
      if (Array.isArray(v)) parts.push(`${k}: ${v.length}`);
      else if (k === "matched" || k === "truncated") scalars.push(`${k} ${String(v)}`);
    }
    if (parts.length > 0) {
      return `${parts.join(", ")}${scalars.length > 0 ? ` (${scalars.join(", ")})` : ""}`;
    }
  }
  const text = JSON.stringify(jsonSafe(payload)) ?? "undefined";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The p-th percentile (0-100) of sorted values, nearest rank; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? 0;
}
