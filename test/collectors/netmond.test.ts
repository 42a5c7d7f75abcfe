import dgram from "node:dgram";
import net from "node:net";
import path from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { ErrorCode, type MeshError } from "../../src/errors.js";
import {
  netmond,
  NetmondResult,
  UnsupportedPlatformError,
  type SocketInfo,
} from "../../src/collectors/index.js";
import {
  decodeHexAddress,
  formatIPv6,
  parseProcNet,
  parseProcNetLine,
} from "../../src/collectors/net-parse.js";
import { expectInvalidPayloads, fakeProc, noSignal, rejection } from "./fake-proc.js";

const run = netmond.createHandler();

async function listen(host: string): Promise<net.Server> {
  const server = net.createServer((s) => s.on("error", () => undefined));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return server;
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** Whether this host can bind ::1 (IPv6 may be disabled). */
async function canBindIPv6Loopback(): Promise<boolean> {
  const probe = net.createServer();
  return new Promise((resolve) => {
    probe.once("error", () => resolve(false));
    probe.listen(0, "::1", () => probe.close(() => resolve(true)));
  });
}

describe("netmond on this machine", () => {
  test("netmond - finds a TCP listener the test opens on 127.0.0.1, owned by the test's pid", async () => {
    const server = await listen("127.0.0.1");
    const port = portOf(server);
    const result = await run({ protocol: "tcp", localPort: port }, noSignal());
    expect(result.sockets).toEqual([
      {
        protocol: "tcp",
        family: 4,
        localAddress: "127.0.0.1",
        localPort: port,
        remoteAddress: "0.0.0.0",
        remotePort: 0,
        state: "LISTEN",
        inode: expect.any(Number) as number,
        uid: process.getuid?.(),
        pid: process.pid,
        processName: path.basename(process.execPath).slice(0, 15),
      },
    ]);
    expect(result.sockets[0]?.inode).toBeGreaterThan(0);
    expect(result.matched).toBe(1);
    expect(NetmondResult.parse(result)).toEqual(result);
  });

  test("netmond - finds a TCP listener on ::1 when the host can bind it, else still the IPv4 one", async () => {
    const v4 = await listen("127.0.0.1");
    if (await canBindIPv6Loopback()) {
      const v6 = await listen("::1");
      const result = await run(
        { family: 6, states: ["LISTEN"], localPort: portOf(v6) },
        noSignal(),
      );
      expect(result.sockets).toHaveLength(1);
      expect(result.sockets[0]).toMatchObject({
        protocol: "tcp",
        family: 6,
        localAddress: "::1",
        remoteAddress: "::",
        state: "LISTEN",
        pid: process.pid,
      });
    } else {
      const result = await run({ family: 4, localPort: portOf(v4) }, noSignal());
      expect(result.sockets.map((s) => [s.localAddress, s.state, s.pid])).toEqual([
        ["127.0.0.1", "LISTEN", process.pid],
      ]);
    }
  });

  test("netmond - sees both ends of a local TCP connection as ESTABLISHED", async () => {
    const server = await listen("127.0.0.1");
    const port = portOf(server);
    const client = net.connect(port, "127.0.0.1");
    onTestFinished(() => void client.destroy());
    await new Promise<void>((resolve, reject) => {
      client.once("connect", resolve);
      client.once("error", reject);
    });
    const clientPort = client.localPort as number;
    const result = await run({ protocol: "tcp", port }, noSignal());
    const key = (s: SocketInfo) => `${s.state} ${s.localPort}->${s.remotePort} ${s.pid}`;
    expect(result.sockets.map(key).sort()).toEqual(
      [
        `LISTEN ${port}->0 ${process.pid}`,
        `ESTABLISHED ${port}->${clientPort} ${process.pid}`,
        `ESTABLISHED ${clientPort}->${port} ${process.pid}`,
      ].sort(),
    );
    const established = await run({ port, states: ["ESTABLISHED"] }, noSignal());
    expect(established.sockets).toHaveLength(2);
    for (const s of established.sockets) expect(s.remoteAddress).toBe("127.0.0.1");
  });

  test("netmond - finds a bound UDP socket as UNCONN", async () => {
    const sock = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((r) => sock.close(() => r())));
    const port = sock.address().port;
    const result = await run({ protocol: "udp", localPort: port }, noSignal());
    expect(result.sockets).toHaveLength(1);
    expect(result.sockets[0]).toMatchObject({
      protocol: "udp",
      family: 4,
      localAddress: "127.0.0.1",
      localPort: port,
      state: "UNCONN",
      pid: process.pid,
    });
  });

  test("netmond - filters by protocol, family, state and pid", async () => {
    await listen("127.0.0.1");
    const udp = await run({ protocol: "udp" }, noSignal());
    for (const s of udp.sockets) expect(s.protocol).toBe("udp");
    const v4 = await run({ family: 4 }, noSignal());
    expect(v4.sockets.length).toBeGreaterThan(0);
    for (const s of v4.sockets) expect(s.family).toBe(4);
    const listening = await run({ states: ["LISTEN"] }, noSignal());
    expect(listening.sockets.length).toBeGreaterThan(0);
    for (const s of listening.sockets) expect(s.state).toBe("LISTEN");
    const mine = await run({ pid: process.pid, resolvePids: false }, noSignal());
    expect(mine.sockets.length).toBeGreaterThan(0);
    for (const s of mine.sockets) expect(s.pid).toBe(process.pid);
    expect(mine.matched).toBe(mine.sockets.length);
  });

  test("netmond - resolvePids: false leaves the owner out, and limit bounds the list", async () => {
    const server = await listen("127.0.0.1");
    await listen("127.0.0.1");
    const plain = await run({ localPort: portOf(server), resolvePids: false }, noSignal());
    expect(plain.sockets).toHaveLength(1);
    expect(plain.sockets[0]?.pid).toBeUndefined();
    const one = await run({ states: ["LISTEN"], limit: 1 }, noSignal());
    expect(one.sockets).toHaveLength(1);
    expect(one.matched).toBeGreaterThan(1);
    expect(one.truncated).toBe(true);
  });
});

describe("netmond on a fake /proc", () => {
  const TCP =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
    "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 8448 1 0000000000000000 100 0 0 10 0\n" +
    "   1: 0100007F:0CEA 0100007F:A1B2 01 00000000:00000000 02:000A7D0A 00000000   107        0 9999 2 0000000000000000 20 4 30 10 -1\n" +
    "   2: 0100007F:0CEA 0100007F:A1B3 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n";

  test("netmond - maps socket inodes to pids through fd links, skipping what it cannot read", async () => {
    const tree = await fakeProc({
      processes: [
        { pid: 300, comm: "mariadbd", fds: { 0: "/dev/null", 7: "socket:[8448]" } },
        // A forked child holds the same socket: the lowest pid is reported.
        { pid: 301, comm: "child", fds: { 7: "socket:[8448]", 8: "socket:[9999]" } },
        { pid: 302, comm: "nofd" }, // no fd directory readable
      ],
      net: { tcp: TCP },
    });
    const result = await netmond.createHandler({ procRoot: tree.root })({}, noSignal());
    expect(
      result.sockets.map((s) => [
        s.state,
        s.localPort,
        s.remotePort,
        s.inode,
        s.pid,
        s.processName,
      ]),
    ).toEqual([
      ["LISTEN", 3306, 0, 8448, 300, "mariadbd"],
      ["ESTABLISHED", 3306, 41394, 9999, 301, "child"],
      ["TIME_WAIT", 3306, 41395, 0, undefined, undefined],
    ]);
    // The files missing from this tree are reported, not fatal.
    expect(result.unavailable).toEqual([
      "tcp6: not present",
      "udp: not present",
      "udp6: not present",
    ]);
    const byPid = await netmond.createHandler({ procRoot: tree.root })({ pid: 301 }, noSignal());
    expect(byPid.sockets.map((s) => s.inode)).toEqual([9999]);
  });

  test("netmond - without /proc/self fails with UNSUPPORTED_PLATFORM", async () => {
    const tree = await fakeProc({ self: false, net: { tcp: TCP } });
    const err = await rejection(() =>
      netmond.createHandler({ procRoot: tree.root })({}, noSignal()),
    );
    expect(err).toBeInstanceOf(UnsupportedPlatformError);
    expect((err as MeshError).code).toBe(ErrorCode.UnsupportedPlatform);
    expect((err as MeshError).message).toMatch(/netmond needs a Linux proc filesystem/);
  });

  test("netmond - bad payloads fail with INVALID_ARGUMENT naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ protocol: "icmp" }, "payload.protocol"],
      [{ family: 5 }, "payload.family"],
      [{ states: ["listen"] }, "payload.states.0"],
      [{ port: 70_000 }, "payload.port"],
      [{ localPort: -1 }, "payload.localPort"],
      [{ limit: 1.5 }, "payload.limit"],
      [{ ports: [22] }, "payload"],
      [[1, 2], "payload"],
    ];
    await expectInvalidPayloads(run, cases);
  });
});

describe("netmond parsers", () => {
  test("netmond - decodes little-endian hex IPv4 and IPv6 addresses", () => {
    expect(decodeHexAddress("0100007F", true)).toBe("127.0.0.1");
    expect(decodeHexAddress("00000000", true)).toBe("0.0.0.0");
    expect(decodeHexAddress("0101A8C0", true)).toBe("192.168.1.1");
    expect(decodeHexAddress("00000000000000000000000001000000", true)).toBe("::1");
    expect(decodeHexAddress("00000000000000000000000000000000", true)).toBe("::");
    expect(decodeHexAddress("B80D0120000000000000000001000000", true)).toBe("2001:db8::1");
    expect(decodeHexAddress("000080FE00000000FF5650020100C0FE", true)).toBe(
      "fe80::250:56ff:fec0:1",
    );
    expect(decodeHexAddress("0000000000000000FFFF00000100007F", true)).toBe("::ffff:127.0.0.1");
  });

  test("netmond - decodes the same addresses on a big-endian host", () => {
    expect(decodeHexAddress("7F000001", false)).toBe("127.0.0.1");
    expect(decodeHexAddress("20010DB8000000000000000000000001", false)).toBe("2001:db8::1");
    expect(decodeHexAddress("zz00007F", true)).toBeUndefined();
    expect(decodeHexAddress("0100007F00", true)).toBeUndefined();
  });

  test("netmond - writes IPv6 as RFC 5952 text", () => {
    const v6 = (...groups: number[]) => {
      const b = new Uint8Array(16);
      groups.forEach((g, i) => {
        b[i * 2] = g >> 8;
        b[i * 2 + 1] = g & 0xff;
      });
      return formatIPv6(b);
    };
    expect(v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)).toBe("2001:db8::1:0:0:1"); // first run on a tie
    expect(v6(0x2001, 0xdb8, 0, 0, 0, 1, 0, 0)).toBe("2001:db8::1:0:0"); // longest run
    expect(v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1)).toBe("2001:db8:0:1:1:1:1:1"); // one zero group stays
    expect(v6(1, 0, 0, 0, 0, 0, 0, 0)).toBe("1::");
    expect(v6(0xfe80, 0, 0, 0, 0xabcd, 0xef, 0, 0x10)).toBe("fe80::abcd:ef:0:10");
  });

  test("netmond - parses /proc/net lines: ports, states, uid, inode; skips headers and garbage", () => {
    const tcp = { protocol: "tcp", family: 4 } as const;
    expect(
      parseProcNetLine(
        tcp,
        "   0: 0100007F:6448 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 6302 1 0000000052fe2f93 100 0 0 10 0",
        true,
      ),
    ).toEqual({
      protocol: "tcp",
      family: 4,
      localAddress: "127.0.0.1",
      localPort: 25672,
      remoteAddress: "0.0.0.0",
      remotePort: 0,
      state: "LISTEN",
      uid: 106,
      inode: 6302,
    });
    const tcp6 = { protocol: "tcp", family: 6 } as const;
    expect(
      parseProcNetLine(
        tcp6,
        "   1: 0000000000000000FFFF00000100007F:1F90 0000000000000000FFFF00000100007F:D431 08 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 20 4 30 10 -1",
        true,
      ),
    ).toMatchObject({
      localAddress: "::ffff:127.0.0.1",
      localPort: 8080,
      remotePort: 54321,
      state: "CLOSE_WAIT",
      uid: 1000,
    });
    const udp = { protocol: "udp", family: 4 } as const;
    const udpText =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
      "  123: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 15123 2 0000000000000000 0\n" +
      "  124: 0100007F:0035 0100007F:9C40 01 00000000:00000000 00:00000000 00000000   101        0 15124 2 0000000000000000 0\n" +
      "not a socket line\n";
    expect(parseProcNet(udp, udpText, true).map((s) => [s.localPort, s.state, s.uid])).toEqual([
      [68, "UNCONN", 0],
      [53, "ESTABLISHED", 101],
    ]);
    // An IPv6 address in an IPv4 file is refused rather than mislabelled.
    expect(
      parseProcNetLine(
        tcp,
        "   0: 00000000000000000000000001000000:1111 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5298 1",
        true,
      ),
    ).toBeUndefined();
  });
});
