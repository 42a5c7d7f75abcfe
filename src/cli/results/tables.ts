import type { FsmondResult, NetmondResult, ProcmondResult } from "../../collectors/index.js";
import { table } from "../format.js";

/** Tables of the reference collectors' results, for people (scripts use --output jsonl). */

const COMMAND_WIDTH = 80;

/** `812 B`, `1.5 KiB`, `12.0 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** `2024-05-01 12:03:44`, local time. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

function cut(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, width - 1)}…` : s;
}

/** Control characters (a process may name itself anything) shown escaped, never sent to the terminal. */
export function printable(s: string): string {
  return s.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function processTable(r: ProcmondResult): string[] {
  const hashed = r.processes.some((p) => p.sha256 !== undefined || p.sha256Error !== undefined);
  const headers = ["PID", "PPID", "UID", "STATE", "RSS", "THREADS", "STARTED", "NAME", "COMMAND"];
  if (hashed) headers.push("SHA256");
  const rows = r.processes.map((p) => {
    const row = [
      String(p.pid),
      String(p.ppid),
      String(p.uid),
      p.stateName,
      formatBytes(p.rssBytes),
      p.threads === undefined ? "" : String(p.threads),
      formatTime(p.startTimeMs),
      printable(p.name),
      cut(printable(p.cmdline.length > 0 ? p.cmdline.join(" ") : `[${p.name}]`), COMMAND_WIDTH),
    ];
    if (hashed) row.push(p.sha256 ?? (p.sha256Error ? `(${p.sha256Error})` : ""));
    return row;
  });
  const head =
    `${plural(r.processes.length, "process", "processes")}` +
    (r.truncated || r.matched > r.processes.length ? ` of ${r.matched} matching (truncated)` : "");
  return r.processes.length === 0 ? [head] : [head, table(headers, rows, [0, 1, 2, 4, 5])];
}

function endpoint(address: string, port: number, family: 4 | 6): string {
  const p = port === 0 ? "*" : String(port);
  return family === 6 ? `[${address}]:${p}` : `${address}:${p}`;
}

export function socketTable(r: NetmondResult): string[] {
  const rows = r.sockets.map((s) => [
    `${s.protocol}${s.family === 6 ? "6" : ""}`,
    endpoint(s.localAddress, s.localPort, s.family),
    endpoint(s.remoteAddress, s.remotePort, s.family),
    s.state,
    String(s.uid),
    s.pid === undefined ? "" : String(s.pid),
    printable(s.processName ?? ""),
  ]);
  const lines = [
    `${plural(r.sockets.length, "socket")}` +
      (r.truncated || r.matched > r.sockets.length ? ` of ${r.matched} matching (truncated)` : ""),
  ];
  if (rows.length > 0) {
    lines.push(table(["PROTO", "LOCAL", "REMOTE", "STATE", "UID", "PID", "PROCESS"], rows, [4, 5]));
  }
  for (const u of r.unavailable) lines.push(`not read: ${u}`);
  return lines;
}

function mode(m: number | undefined): string {
  return m === undefined ? "" : m.toString(8).padStart(4, "0");
}

export function pathTable(r: FsmondResult): string[] {
  const rows = r.items.map((i) =>
    i.error !== undefined
      ? [printable(i.path), "error", "", "", "", "", "", i.error]
      : [
          printable(i.path === i.realPath ? i.path : `${i.path} -> ${i.realPath}`),
          i.type ?? "",
          i.size === undefined ? "" : formatBytes(i.size),
          mode(i.mode),
          i.uid === undefined ? "" : String(i.uid),
          i.gid === undefined ? "" : String(i.gid),
          i.mtimeMs === undefined ? "" : formatTime(i.mtimeMs),
          i.sha256 ?? (i.hashError ? `(${i.hashError})` : ""),
        ],
  );
  const lines = [
    plural(r.items.length, "path"),
    table(["PATH", "TYPE", "SIZE", "MODE", "UID", "GID", "MODIFIED", "SHA256"], rows, [2, 4, 5]),
  ];
  for (const i of r.items) {
    if (!i.entries) continue;
    lines.push(
      "",
      `${printable(i.path)}: ${plural(i.entries.length, "entry", "entries")}${i.entriesTruncated ? " (truncated)" : ""}`,
    );
    if (i.entries.length === 0) continue;
    lines.push(
      table(
        ["NAME", "TYPE", "SIZE", "MODE", "UID", "GID", "MODIFIED"],
        i.entries.map((e) => [
          printable(e.name),
          e.type,
          formatBytes(e.size),
          mode(e.mode),
          String(e.uid),
          String(e.gid),
          formatTime(e.mtimeMs),
        ]),
        [2, 4, 5],
      ),
    );
  }
  return lines;
}
