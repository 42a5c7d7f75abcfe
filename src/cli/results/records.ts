import {
  FsmondResult,
  NetmondResult,
  ProcmondResult,
  type PathInfo,
  type ProcessInfo,
  type SocketInfo,
} from "../../collectors/index.js";

/** A result payload, recognised as one of the reference collectors' results when it is one. */
export type KnownPayload =
  | { kind: "processes"; result: ProcmondResult }
  | { kind: "sockets"; result: NetmondResult }
  | { kind: "paths"; result: FsmondResult }
  | { kind: "other"; payload: unknown };

/**
 * Which reference collector's result `payload` is, by its shape (procmond `processes`, netmond
 * `sockets`, fsmond `roots` and `items`), checked against that collector's result schema.
 */
export function recognise(payload: unknown): KnownPayload {
  if (payload !== null && typeof payload === "object" && !Array.isArray(payload)) {
    const o = payload as Record<string, unknown>;
    if (Array.isArray(o.processes)) {
      const r = ProcmondResult.safeParse(payload);
      if (r.success) return { kind: "processes", result: r.data };
    } else if (Array.isArray(o.sockets)) {
      const r = NetmondResult.safeParse(payload);
      if (r.success) return { kind: "sockets", result: r.data };
    } else if (Array.isArray(o.items) && Array.isArray(o.roots)) {
      const r = FsmondResult.safeParse(payload);
      if (r.success) return { kind: "paths", result: r.data };
    }
  }
  return { kind: "other", payload };
}

/** One line of `--output jsonl`. */
export type RecordLine = { collectorId: string; attempt: number | undefined } & (
  | ({ record: "process" } & ProcessInfo)
  | ({ record: "socket" } & SocketInfo)
  | ({ record: "path" } & PathInfo)
  | { record: "payload"; payload: unknown }
  | { record: "error"; error: { code: string; message: string } }
);

/** The records of one result: a line per process, socket or path; else the payload or error. */
export function recordsOf(r: {
  collectorId: string;
  attempt?: number | undefined;
  status: "ok" | "error";
  payload?: unknown;
  error?: { code: string; message: string } | undefined;
}): RecordLine[] {
  const base = { collectorId: r.collectorId, attempt: r.attempt };
  if (r.status === "error") {
    return [{ ...base, record: "error", error: r.error ?? { code: "ERROR", message: "" } }];
  }
  const known = recognise(r.payload);
  switch (known.kind) {
    case "processes":
      return known.result.processes.map((p) => ({ ...base, record: "process", ...p }));
    case "sockets":
      return known.result.sockets.map((s) => ({ ...base, record: "socket", ...s }));
    case "paths":
      return known.result.items.map((i) => ({ ...base, record: "path", ...i }));
    case "other":
      return [{ ...base, record: "payload", payload: known.payload }];
  }
}
