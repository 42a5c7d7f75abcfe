/**
 * Parsers of /proc/net/{tcp,tcp6,udp,udp6} (proc(5)). Pure functions, tested with fixed lines.
 *
 * A line reads `sl local rem st tx:rx tr:when retrnsmt uid timeout inode …` where `local` and
 * `rem` are `ADDR:PORT` in hex. The port is the number itself; the address is the raw in-kernel
 * bytes printed as 32-bit words in host byte order, so on a little-endian host `0100007F` is
 * 127.0.0.1 and `::1` is `00000000000000000000000001000000`.
 */

import os from "node:os";

export const NetProtocol = { Tcp: "tcp", Udp: "udp" } as const;
export type NetProtocol = (typeof NetProtocol)[keyof typeof NetProtocol];
export const NET_PROTOCOLS = Object.values(NetProtocol) as [NetProtocol, ...NetProtocol[]];
export type IpFamily = 4 | 6;

/** The files of /proc/net read, with what each holds. */
export const NET_SOURCES = [
  { file: "tcp", protocol: "tcp", family: 4 },
  { file: "tcp6", protocol: "tcp", family: 6 },
  { file: "udp", protocol: "udp", family: 4 },
  { file: "udp6", protocol: "udp", family: 6 },
] as const satisfies readonly { file: string; protocol: NetProtocol; family: IpFamily }[];
export type NetSource = (typeof NET_SOURCES)[number];

/** TCP states by their number in the kernel (include/net/tcp_states.h). */
export const TCP_STATES = [
  "UNKNOWN",
  "ESTABLISHED",
  "SYN_SENT",
  "SYN_RECV",
  "FIN_WAIT1",
  "FIN_WAIT2",
  "TIME_WAIT",
  "CLOSE",
  "CLOSE_WAIT",
  "LAST_ACK",
  "LISTEN",
  "CLOSING",
  "NEW_SYN_RECV",
] as const;
/** State names a socket may carry: the TCP states, and UNCONN for an unconnected UDP socket. */
export const SOCKET_STATES = [...TCP_STATES.slice(1), "UNCONN", "UNKNOWN"] as const;
export type SocketState = (typeof SOCKET_STATES)[number];

export interface RawSocket {
  readonly protocol: NetProtocol;
  readonly family: IpFamily;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly state: SocketState;
  readonly uid: number;
  /** Socket inode; 0 for sockets no process owns any more (TIME_WAIT, …). */
  readonly inode: number;
}

/**
 * State name of a state number. UDP reuses the TCP numbers: 7 (CLOSE) is an unconnected socket,
 * named UNCONN as ss(8) does, and 1 a connected one (ESTABLISHED).
 */
export function socketStateName(protocol: NetProtocol, state: number): SocketState {
  if (protocol === "udp" && state === 7) return "UNCONN";
  return TCP_STATES[state] ?? "UNKNOWN";
}

/**
 * Decodes a hex address of /proc/net: 8 hex digits (IPv4) or 32 (IPv6), each 32-bit word in
 * the host's byte order (`littleEndian` defaults to this host's). Undefined when malformed.
 */
export function decodeHexAddress(
  hex: string,
  littleEndian = os.endianness() === "LE",
): string | undefined {
  if (!/^[0-9a-fA-F]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) {
    for (let b = 0; b < 4; b++) {
      const src = littleEndian ? 3 - b : b;
      bytes[w * 4 + b] = parseInt(hex.slice(w * 8 + src * 2, w * 8 + src * 2 + 2), 16);
    }
  }
  return bytes.length === 4 ? bytes.join(".") : formatIPv6(bytes);
}

/**
 * The RFC 5952 text of a 16-byte IPv6 address: lower case, no leading zeros, the longest run of
 * two or more zero groups (the first on a tie) as `::`, IPv4-mapped addresses as `::ffff:a.b.c.d`.
 */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLen).join(":");
  return `${head}::${tail}`;
}

function parseEndpoint(
  text: string | undefined,
  littleEndian: boolean,
): { address: string; port: number } | undefined {
  if (!text) return undefined;
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  const address = decodeHexAddress(text.slice(0, colon), littleEndian);
  const portHex = text.slice(colon + 1);
  if (!address || !/^[0-9a-fA-F]{1,4}$/.test(portHex)) return undefined;
  return { address, port: parseInt(portHex, 16) };
}

/** One line of /proc/net/<file>; undefined for the header line and anything malformed. */
export function parseProcNetLine(
  source: Pick<NetSource, "protocol" | "family">,
  line: string,
  littleEndian = os.endianness() === "LE",
): RawSocket | undefined {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0] ?? "")) return undefined;
  const { protocol, family } = source;
  const local = parseEndpoint(f[1], littleEndian);
  const remote = parseEndpoint(f[2], littleEndian);
  const state = parseInt(f[3] ?? "", 16);
  const uid = Number(f[7]);
  const inode = Number(f[9]);
  if (!local || !remote || !Number.isInteger(state)) return undefined;
  if (!Number.isInteger(uid) || !Number.isInteger(inode)) return undefined;
  const v6 = local.address.includes(":");
  if (v6 !== (family === 6)) return undefined;
  return {
    protocol,
    family,
    localAddress: local.address,
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
    state: socketStateName(protocol, state),
    uid,
    inode,
  };
}

/** Every socket line of a /proc/net/<file> file. */
export function parseProcNet(
  source: Pick<NetSource, "protocol" | "family">,
  text: string,
  littleEndian = os.endianness() === "LE",
): RawSocket[] {
  const out: RawSocket[] = [];
  for (const line of text.split("\n")) {
    const s = parseProcNetLine(source, line, littleEndian);
    if (s) out.push(s);
  }
  return out;
}
