import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { SourceCaps } from "../../subjects/caps.js";
import { Millis } from "../../subjects/schemas.js";
import { isGone, takeWithinBudget } from "./bounded.js";
import { describeFsError } from "./hash.js";
import {
  NET_PROTOCOLS,
  NET_SOURCES,
  SOCKET_STATES,
  parseProcNet,
  type RawSocket,
} from "./net-parse.js";
import { parseCollectorOptions, type ParsedCollectorOptions } from "./options.js";
import { procfsHandler } from "./platform.js";
import { parseProcStat } from "./procfs.js";
import { findSocketOwners } from "./socket-owners.js";
import { CollectorType, type CollectorContext, type ReferenceCollector } from "./types.js";

export const DEFAULT_SOCKET_LIMIT = 10_000;
export const MAX_SOCKET_LIMIT = 100_000;

const Port = z.number().int().min(0).max(65_535);

/**
 * netmond task payload; every field is optional, `{}` (or no payload) lists every socket of the
 * collector's network namespace. Filters combine with AND.
 */
export const NetmondPayload = z.strictObject({
  /** `tcp` or `udp` (both IP families unless `family` is given). */
  protocol: z.enum(NET_PROTOCOLS).optional(),
  family: z.union([z.literal(4), z.literal(6)]).optional(),
  /** State names, e.g. `["LISTEN"]`; unconnected UDP sockets are `UNCONN`. */
  states: z.array(z.enum(SOCKET_STATES)).min(1).max(SOCKET_STATES.length).optional(),
  /** Local or remote port. */
  port: Port.optional(),
  localPort: Port.optional(),
  remotePort: Port.optional(),
  /** Only sockets owned by this process (implies `resolvePids`). */
  pid: z.number().int().min(1).optional(),
  /** Find the owning process of each socket (scans /proc/<pid>/fd). */
  resolvePids: z.boolean().default(true),
  limit: z.number().int().min(1).max(MAX_SOCKET_LIMIT).default(DEFAULT_SOCKET_LIMIT),
});
export type NetmondPayload = z.output<typeof NetmondPayload>;
export type NetmondPayloadInput = z.input<typeof NetmondPayload>;

export const SocketInfo = z.object({
  protocol: z.enum(NET_PROTOCOLS),
  family: z.union([z.literal(4), z.literal(6)]),
  /** Dotted IPv4, or RFC 5952 IPv6 (`::1`, `::ffff:127.0.0.1`). */
  localAddress: z.string(),
  localPort: Port,
  remoteAddress: z.string(),
  remotePort: Port,
  state: z.enum(SOCKET_STATES),
  /** Socket inode; 0 for sockets no process holds (TIME_WAIT). */
  inode: z.number().int().min(0),
  uid: z.number().int().min(0),
  /** Owning process (the lowest pid holding it), when it could be found. */
  pid: z.number().int().min(1).optional(),
  /** The owning process's name (`comm`). */
  processName: z.string().optional(),
});
export type SocketInfo = z.infer<typeof SocketInfo>;

export const NetmondResult = z.object({
  sockets: z.array(SocketInfo),
  /** How many sockets matched the filters (may exceed `sockets.length`). */
  matched: z.number().int().min(0),
  /** True when `sockets` was cut by `limit` or by the result size budget. */
  truncated: z.boolean(),
  /** /proc/net files that could not be read (e.g. `tcp6` on a host without IPv6), with why. */
  unavailable: z.array(z.string()),
  collectedAt: Millis,
});
export type NetmondResult = z.infer<typeof NetmondResult>;

/** Lists sockets with `opts.procRoot` as the proc filesystem. */
async function listSockets(
  payload: NetmondPayload,
  ctx: CollectorContext,
  opts: ParsedCollectorOptions,
): Promise<NetmondResult> {
  const unavailable: string[] = [];
  const raw: RawSocket[] = [];
  for (const source of NET_SOURCES) {
    if (payload.protocol !== undefined && source.protocol !== payload.protocol) continue;
    if (payload.family !== undefined && source.family !== payload.family) continue;
    ctx.signal.throwIfAborted();
    const file = path.join(opts.procRoot, "net", source.file);
    try {
      raw.push(...parseProcNet(source, await readFile(file, "utf8")));
    } catch (err) {
      unavailable.push(`${source.file}: ${isGone(err) ? "not present" : describeFsError(err)}`);
    }
  }
  const matching = raw.filter((s) => socketMatches(s, payload));
  let matched = matching.length;

  // With a pid filter every candidate needs its owner; otherwise only the returned ones.
  let sockets: SocketInfo[] =
    payload.pid !== undefined ? matching : matching.slice(0, payload.limit);
  if (payload.resolvePids || payload.pid !== undefined) {
    sockets = await withOwners(opts.procRoot, sockets, ctx.signal);
    if (payload.pid !== undefined) {
      sockets = sockets.filter((s) => s.pid === payload.pid);
      matched = sockets.length;
    }
  }
  const out = takeWithinBudget(sockets, payload.limit, opts.maxResultBytes);
  opts.logger?.debug(
    { collector: CollectorType.Netmond, matched, returned: out.length },
    "listed sockets",
  );
  return {
    sockets: out,
    matched,
    truncated: out.length < matched,
    unavailable,
    collectedAt: Date.now(),
  };
}

function socketMatches(s: RawSocket, p: NetmondPayload): boolean {
  if (p.states && !p.states.includes(s.state)) return false;
  if (p.port !== undefined && s.localPort !== p.port && s.remotePort !== p.port) return false;
  if (p.localPort !== undefined && s.localPort !== p.localPort) return false;
  if (p.remotePort !== undefined && s.remotePort !== p.remotePort) return false;
  return true;
}

async function withOwners(
  procRoot: string,
  sockets: readonly RawSocket[],
  signal: AbortSignal,
): Promise<SocketInfo[]> {
  const inodes = new Set(sockets.map((s) => s.inode).filter((i) => i !== 0));
  const owners = await findSocketOwners(procRoot, inodes, signal);
  const names = new Map<number, string | undefined>();
  for (const pid of new Set(owners.values())) {
    const text = await readFile(path.join(procRoot, String(pid), "stat"), "utf8").catch(() => "");
    names.set(pid, parseProcStat(text)?.comm);
  }
  return sockets.map((s) => {
    const pid = s.inode !== 0 ? owners.get(s.inode) : undefined;
    if (pid === undefined) return { ...s };
    const processName = names.get(pid);
    return processName === undefined ? { ...s, pid } : { ...s, pid, processName };
  });
}

export const netmond: ReferenceCollector<NetmondPayload, NetmondResult> = {
  type: CollectorType.Netmond,
  capabilities: SourceCaps.NETWORK,
  defaultMaxConcurrency: 2,
  description: "lists TCP and UDP sockets from /proc/net with their owning process",
  payloadSchema: NetmondPayload,
  resultSchema: NetmondResult,
  createHandler(options) {
    return procfsHandler(
      CollectorType.Netmond,
      NetmondPayload,
      parseCollectorOptions(options),
      listSockets,
    );
  },
};
