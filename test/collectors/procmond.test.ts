import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { onTestFinished, describe, expect, test } from "vitest";
import { ErrorCode, MeshError } from "../../src/errors.js";
import {
  procmond,
  ProcmondResult,
  type ProcessInfo,
  UnsupportedPlatformError,
} from "../../src/collectors/index.js";
import {
  parseBootTime,
  parseCmdline,
  parseProcStat,
  parseProcStatus,
  startTimeMs,
} from "../../src/collectors/procfs.js";
import { expectInvalidPayloads, fakeProc, noSignal, rejection, statLine } from "./fake-proc.js";

const run = procmond.createHandler();

function own(processes: readonly ProcessInfo[]): ProcessInfo {
  const me = processes.find((p) => p.pid === process.pid);
  expect(me, "the test's own process is listed").toBeDefined();
  return me as ProcessInfo;
}

/** Starts `sleep 60` under a long name (a symlink), so its comm is cut to 15 characters. */
async function startProbe(name: string): Promise<ChildProcess> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "cmesh-probe-"));
  const exe = path.join(dir, name);
  await symlink("/bin/sleep", exe);
  const child = spawn(exe, ["60"], { stdio: "ignore" });
  onTestFinished(async () => {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  // Until exec completes, the child still carries the parent's name.
  for (let i = 0; i < 200; i++) {
    const comm = await readFile(`/proc/${child.pid}/comm`, "utf8").catch(() => "");
    if (comm.trim() === name.slice(0, 15)) return child;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`probe ${name} did not start`);
}

describe("procmond on this machine", () => {
  test("procmond - lists the test's own process with its ppid, name, command line, uid and start time", async () => {
    const before = Date.now();
    const result = await run({}, noSignal());
    const me = own(result.processes);
    expect(me.ppid).toBe(process.ppid);
    expect(me.name).toBe(path.basename(process.execPath).slice(0, 15));
    expect(me.cmdline).toEqual([process.argv0, ...process.execArgv, ...process.argv.slice(1)]);
    expect(me.uid).toBe(process.getuid?.());
    expect(me.euid).toBe(process.geteuid?.());
    // Alive: running, sleeping, or in a disk wait (D) when the read caught it mid-I/O.
    expect(["R", "S", "D"]).toContain(me.state);
    expect(me.exe).toBe(await realpath(process.execPath));
    // Boot time has second precision, the start tick 10 ms.
    expect(Math.abs(me.startTimeMs - (before - process.uptime() * 1000))).toBeLessThan(1500);
    const rss = process.memoryUsage().rss;
    expect(me.rssBytes).toBeGreaterThan(rss / 2);
    expect(me.rssBytes).toBeLessThan(rss * 2);
    // pid 1 is always there; the list is ordered by pid and valid against the schema.
    expect(result.processes[0]?.pid).toBe(1);
    const pids = result.processes.map((p) => p.pid);
    expect(pids).toEqual([...pids].sort((a, b) => a - b));
    expect(result.matched).toBe(result.processes.length);
    expect(result.truncated).toBe(false);
    expect(ProcmondResult.parse(result)).toEqual(result);
  });

  test("procmond - filters by pid, ignoring pids that do not exist", async () => {
    const result = await run({ pids: [process.pid, 1, process.ppid, 4_194_304] }, noSignal());
    expect(result.processes.map((p) => p.pid)).toEqual(
      [1, process.ppid, process.pid].sort((a, b) => a - b),
    );
    expect(result.matched).toBe(3);
  });

  test("procmond - filters by name: substring by default, exact on request, on comm or argv[0]", async () => {
    const long = `cmeshprobe${process.pid}xyz`; // longer than the 15 characters of comm
    const child = await startProbe(long);
    const comm = long.slice(0, 15);

    const sub = await run({ name: `probe${process.pid}` }, noSignal());
    expect(sub.processes.map((p) => p.pid)).toEqual([child.pid]);
    const probe = sub.processes[0];
    expect(probe?.name).toBe(comm);
    expect(probe?.ppid).toBe(process.pid);
    expect(probe?.cmdline.slice(1)).toEqual(["60"]);

    // Exact matches the cut comm, or the full name through argv[0].
    expect((await run({ name: comm, nameMatch: "exact" }, noSignal())).processes).toHaveLength(1);
    expect((await run({ name: long, nameMatch: "exact" }, noSignal())).processes).toHaveLength(1);
    expect(
      (await run({ name: `probe${process.pid}`, nameMatch: "exact" }, noSignal())).processes,
    ).toHaveLength(0);
    // Case-sensitive.
    expect((await run({ name: long.toUpperCase() }, noSignal())).processes).toHaveLength(0);
    // Filters combine with AND.
    const both = await run({ name: comm, pids: [process.pid] }, noSignal());
    expect(both.processes).toHaveLength(0);
  });

  test("procmond - hashes the executable of its own process", async () => {
    const result = await run({ pids: [process.pid], hashExecutable: true }, noSignal());
    const expected = createHash("sha256")
      .update(await readFile(process.execPath))
      .digest("hex");
    expect(own(result.processes).sha256).toBe(expected);
    expect(own(result.processes).sha256Error).toBeUndefined();
    // Without the flag there is no hash.
    const plain = await run({ pids: [process.pid] }, noSignal());
    expect(own(plain.processes).sha256).toBeUndefined();
  });

  test("procmond - an executable over the hashing limit gets sha256Error, not a failure", async () => {
    const small = procmond.createHandler({ maxHashBytes: 1024 });
    const result = await small({ pids: [process.pid], hashExecutable: true }, noSignal());
    const me = own(result.processes);
    expect(me.sha256).toBeUndefined();
    expect(me.sha256Error).toMatch(/larger than the hashing limit of 1024 bytes/);
  });

  test("procmond - an executable it may not read gets sha256Error 'permission denied', not a failure", async () => {
    if (process.getuid?.() === 0) {
      // Root reads everything: ask the same question as an unprivileged user.
      const dir = await mkdtemp(path.join(os.tmpdir(), "cmesh-unpriv-"));
      onTestFinished(() => rm(dir, { recursive: true, force: true }));
      await chmod(dir, 0o755);
      const script = path.join(dir, "probe.mts");
      const index = new URL("../../src/collectors/index.js", import.meta.url).href;
      await writeFile(
        script,
        `import { procmond } from ${JSON.stringify(index)};\n` +
          `const r = await procmond.createHandler()({ pids: [1], hashExecutable: true }, { signal: new AbortController().signal });\n` +
          `process.stdout.write(JSON.stringify(r));\n`,
      );
      await chmod(script, 0o644);
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", script], {
          uid: 65534,
          gid: 65534,
          cwd: process.cwd(),
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.once("error", reject);
        child.once("close", (code) =>
          code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`)),
        );
      });
      const result = ProcmondResult.parse(JSON.parse(out));
      const init = result.processes[0];
      expect(init?.pid).toBe(1);
      expect(init?.sha256).toBeUndefined();
      expect(init?.sha256Error).toBe("permission denied");
      expect(init?.exe).toBeUndefined();
    } else {
      // Unprivileged already: other users' executables are out of reach.
      const result = await run({ hashExecutable: true }, noSignal());
      const others = result.processes.filter(
        (p) => p.uid !== process.getuid?.() && p.state !== "Z" && p.cmdline.length > 0,
      );
      for (const p of others) expect(p.sha256Error, `pid ${p.pid}`).toBe("permission denied");
      expect(own(result.processes).sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  test("procmond - limit bounds the list and says it was truncated", async () => {
    const result = await run({ limit: 2 }, noSignal());
    expect(result.processes).toHaveLength(2);
    expect(result.matched).toBeGreaterThan(2);
    expect(result.truncated).toBe(true);
  });

  test("procmond - a long list is cut to the result size budget and says so", async () => {
    const small = procmond.createHandler({ maxResultBytes: 4096 });
    const result = await small({}, noSignal());
    expect(result.truncated).toBe(true);
    expect(result.processes.length).toBeGreaterThan(0);
    expect(result.processes.length).toBeLessThan(result.matched);
    expect(Buffer.byteLength(JSON.stringify(result.processes))).toBeLessThanOrEqual(4096);
  });

  test("procmond - an aborted task stops with the abort reason", async () => {
    const ac = new AbortController();
    const reason = new MeshError(ErrorCode.Timeout, "deadline passed");
    ac.abort(reason);
    expect(await rejection(() => run({}, { signal: ac.signal }))).toBe(reason);
  });
});

describe("procmond on a fake /proc", () => {
  test("procmond - reads name, state, start time, memory and uid from the proc files", async () => {
    const tree = await fakeProc({
      btime: 1_700_000_000,
      processes: [
        {
          pid: 42,
          comm: "my (odd) name",
          state: "D",
          ppid: 7,
          startTicks: 12_345,
          uid: 1000,
          euid: 0,
          rssKb: 2048,
          argv: ["/usr/bin/odd", "--flag", "a b"],
          exe: "/usr/bin/odd",
        },
      ],
    });
    const result = await procmond.createHandler({ procRoot: tree.root })({}, noSignal());
    expect(result.bootTimeMs).toBe(1_700_000_000_000);
    expect(result.processes).toEqual([
      {
        pid: 42,
        ppid: 7,
        name: "my (odd) name",
        cmdline: ["/usr/bin/odd", "--flag", "a b"],
        state: "D",
        stateName: "disk-sleep",
        startTimeMs: 1_700_000_000_000 + 123_450,
        rssBytes: 2048 * 1024,
        uid: 1000,
        euid: 0,
        threads: 1,
        exe: "/usr/bin/odd",
      },
    ]);
  });

  test("procmond - skips processes that vanish mid-read, and threads asked for by tid", async () => {
    const tree = await fakeProc({
      btime: 1_700_000_000,
      processes: [
        { pid: 10, comm: "alive", argv: ["alive"] },
        { pid: 11, comm: "gone", vanished: true },
        { pid: 12, comm: "worker", tgid: 10 },
      ],
    });
    const handler = procmond.createHandler({ procRoot: tree.root });
    const all = await handler({}, noSignal());
    expect(all.processes.map((p) => p.pid)).toEqual([10]);
    const asked = await handler({ pids: [10, 11, 12] }, noSignal());
    expect(asked.processes.map((p) => p.pid)).toEqual([10]);
  });

  test("procmond - a kernel thread has no executable: sha256Error says so", async () => {
    const tree = await fakeProc({
      btime: 1_700_000_000,
      processes: [{ pid: 2, comm: "kthreadd", ppid: 0 }],
    });
    const result = await procmond.createHandler({ procRoot: tree.root })(
      { hashExecutable: true },
      noSignal(),
    );
    expect(result.processes[0]?.cmdline).toEqual([]);
    expect(result.processes[0]?.exe).toBeUndefined();
    expect(result.processes[0]?.sha256Error).toBe("no executable (kernel thread or exited)");
  });

  test("procmond - without /proc/self fails with UNSUPPORTED_PLATFORM", async () => {
    const tree = await fakeProc({ self: false, btime: 1 });
    const err = await rejection(() =>
      procmond.createHandler({ procRoot: tree.root })({}, noSignal()),
    );
    expect(err).toBeInstanceOf(UnsupportedPlatformError);
    expect((err as MeshError).code).toBe(ErrorCode.UnsupportedPlatform);
    expect((err as MeshError).message).toMatch(/procmond needs a Linux proc filesystem/);
    expect((err as MeshError).retryable).toBe(false);
  });

  test("procmond - bad payloads fail with INVALID_ARGUMENT naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ pids: "1" }, "payload.pids"],
      [{ pids: [] }, "payload.pids"],
      [{ pids: [0] }, "payload.pids.0"],
      [{ limit: 0 }, "payload.limit"],
      [{ name: "" }, "payload.name"],
      [{ nameMatch: "regex" }, "payload.nameMatch"],
      [{ pid: 1 }, "payload"], // unknown key: a typo must not silently list everything
      ["all", "payload"],
    ];
    await expectInvalidPayloads(run, cases);
    // No payload at all means "every process".
    expect((await run(undefined, noSignal())).processes.length).toBeGreaterThan(0);
  });
});

describe("procmond parsers", () => {
  test("procmond - parses /proc/<pid>/stat with spaces and parentheses in the name", () => {
    const line = statLine({ pid: 5, comm: "a) (b c", state: "Z", ppid: 3, startTicks: 987 });
    expect(parseProcStat(line)).toEqual({
      pid: 5,
      comm: "a) (b c",
      state: "Z",
      ppid: 3,
      startTicks: 987,
    });
    const real =
      "13885 (cat) R 13882 13882 6908 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 89180 3133440 382 " +
      "18446744073709551615 94484659302400 94484659322281 140731191132416 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
    expect(parseProcStat(real)).toEqual({
      pid: 13885,
      comm: "cat",
      state: "R",
      ppid: 13882,
      startTicks: 89180,
    });
    expect(parseProcStat("garbage")).toBeUndefined();
    expect(parseProcStat("1 (x) S")).toBeUndefined();
  });

  test("procmond - parses status, cmdline and btime", () => {
    expect(
      parseProcStatus(
        "Name:\tx\nTgid:\t9\nUid:\t1000\t0\t0\t0\nVmRSS:\t    1972 kB\nThreads:\t3\n",
      ),
    ).toEqual({ tgid: 9, uid: 1000, euid: 0, rssBytes: 1972 * 1024, threads: 3 });
    // A kernel thread has no VmRSS.
    expect(parseProcStatus("Uid:\t0\t0\t0\t0\n")?.rssBytes).toBe(0);
    expect(parseProcStatus("Name:\tx\n")).toBeUndefined();

    expect(parseCmdline(Buffer.from("node\0--x\0a b\0"))).toEqual({
      args: ["node", "--x", "a b"],
      truncated: false,
    });
    expect(parseCmdline(Buffer.from(""))).toEqual({ args: [], truncated: false });
    expect(parseCmdline(Buffer.from("abcdef\0ghij\0"), 8)).toEqual({
      args: ["abcdef", "gh"],
      truncated: true,
    });

    expect(parseBootTime("cpu 1 2\nintr 5\nbtime 1795760904\nprocesses 9\n")).toBe(1795760904);
    expect(parseBootTime("cpu 1 2\n")).toBeUndefined();
    // 100 clock ticks per second.
    expect(startTimeMs(1000, 250)).toBe(1_002_500);
  });
});
