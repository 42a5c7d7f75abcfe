import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, isOneLineError, type CliResult } from "./cli.js";

/**
 * Start-up validation, without a NATS server: every value that can be wrong is refused before
 * the command connects, in one line that names the flag, never in schema words.
 */

/** Nobody listens here: a command that got past validation fails to connect instead. */
const UNREACHABLE = "nats://127.0.0.1:1";

let dir: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "cli-validation-"));
  writeFileSync(path.join(dir, "file.txt"), "not a directory\n");
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((r) => busy.close(() => r()));
});

/** A one-line error that names the problem and did not get as far as connecting. */
function refused(r: CliResult, message: RegExp | string): void {
  expect(isOneLineError(r), r.stderr).toBe(true);
  if (typeof message === "string") expect(r.stderr).toContain(message);
  else expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toContain("cannot connect");
  expect(r.stderr).not.toMatch(/Too big|Too small|Invalid input|expected:/);
}

describe("cli start-up validation", { timeout: 120_000 }, () => {
  it("cli - a --timeout beyond 1h is refused at once, without a Node warning", async () => {
    const r = await cli(["submit", "--caps", "PROCESS", "--timeout", "99999999999"]);
    refused(r, /--timeout.*99999999999.*at most 1h/);
    expect(r.stderr).not.toContain("TimeoutOverflowWarning");
    const hours = await cli(["submit", "--caps", "PROCESS", "--timeout", "2h"]);
    refused(hours, "at most 1h");
  });

  it("cli - every duration option has an upper bound", async () => {
    const cases: [string[], string][] = [
      [["coordinator", "--attempt-timeout", "2h"], "at most 1h"],
      [["coordinator", "--advert-ttl", "2h"], "at most 1h"],
      [["coordinator", "--grace", "11m"], "at most 10m"],
      [["coordinator", "--heartbeat", "11m"], "at most 10m"],
      [["collector", "--type", "procmond", "--heartbeat", "1h"], "at most 10m"],
      [["collector", "--type", "procmond", "--advert-ttl", "61m"], "at most 1h"],
    ];
    const results = await Promise.all(
      cases.map(([args]) => cli([...args, "--nats-url", UNREACHABLE])),
    );
    results.forEach((r, i) => refused(r, cases[i]![1]));
  });

  it("cli - --expected and --max-concurrency beyond what the wire allows speak CLI", async () => {
    const [expected, concurrency, tasks] = await Promise.all([
      cli(["submit", "--caps", "PROCESS", "--expected", "1000000"]),
      cli(["collector", "--type", "procmond", "--max-concurrency", "100001"]),
      cli(["demo", "--tasks", "2000000"]),
    ]);
    refused(expected, /--expected.*at most 10,000/);
    refused(concurrency, /--max-concurrency.*at most 100,000/);
    refused(tasks, /--tasks.*at most 1,000,000/);
  });

  it("cli - an advert TTL under two heartbeats is refused by coordinator and collector", async () => {
    const [tiny, coord, coordFast, collector, alone] = await Promise.all([
      cli(["coordinator", "--advert-ttl", "1", "--nats-url", UNREACHABLE]),
      cli([
        "coordinator",
        "--advert-ttl",
        "1500ms",
        "--heartbeat",
        "1s",
        "--nats-url",
        UNREACHABLE,
      ]),
      cli(["coordinator", "--advert-ttl", "3s", "--heartbeat", "2s", "--nats-url", UNREACHABLE]),
      cli([
        "collector",
        "--type",
        "procmond",
        "--heartbeat",
        "1s",
        "--advert-ttl",
        "1500ms",
        "--nats-url",
        UNREACHABLE,
      ]),
      // A TTL alone sets the refresh period too (half of it): nothing to refuse.
      cli(["collector", "--type", "procmond", "--advert-ttl", "1500ms", "--nats-url", UNREACHABLE]),
    ]);
    expect(alone.stderr).toContain("cannot connect to NATS");
    refused(tiny, /--advert-ttl.*at least 200ms/);
    refused(
      coord,
      "--advert-ttl 1500ms is less than 2 × the collectors' heartbeat (--heartbeat 1s)",
    );
    refused(coordFast, "use --advert-ttl 4s or more");
    refused(collector, "--advert-ttl 1500ms is less than 2 × --heartbeat 1s");
    // A TTL of two heartbeats or more gets as far as connecting.
    const ok = await cli([
      "coordinator",
      "--advert-ttl",
      "1s",
      "--heartbeat",
      "500ms",
      "--nats-url",
      UNREACHABLE,
    ]);
    expect(ok.stderr).toContain("cannot connect to NATS");
  });

  it("cli - an --attempt-timeout shorter than the collectors' progress can keep alive is refused", async () => {
    // A running task says it is alive every second, the first time up to two seconds after it
    // starts: a shorter attempt sends every longer task again (and gives up after five).
    const [short, ok] = await Promise.all([
      cli(["coordinator", "--attempt-timeout", "1s", "--nats-url", UNREACHABLE]),
      cli(["coordinator", "--attempt-timeout", "3s", "--nats-url", UNREACHABLE]),
    ]);
    refused(short, /--attempt-timeout.*'1s'.*at least 3s/);
    expect(short.stderr).toContain("every 1s");
    expect(ok.stderr).toContain("cannot connect to NATS");
  });

  it("cli - fsmond roots must be existing absolute directories", async () => {
    const base = ["collector", "--type", "fsmond", "--nats-url", UNREACHABLE];
    const [missing, relative, file, two] = await Promise.all([
      cli([...base, "--roots", "/nonexistent-cli-test"]),
      cli([...base, "--roots", "var/log"]),
      cli([...base, "--roots", path.join(dir, "file.txt")]),
      cli([...base, "--roots", `${dir},/nonexistent-a`, "--roots", "/nonexistent-b"]),
    ]);
    refused(missing, "--roots /nonexistent-cli-test does not exist");
    refused(relative, "--roots var/log is relative; give it as an absolute path");
    refused(file, `--roots ${path.join(dir, "file.txt")} is not a directory`);
    refused(two, "--roots /nonexistent-a does not exist (and 1 more)");
    const ok = await cli([...base, "--roots", dir]);
    expect(ok.stderr).toContain("cannot connect to NATS");
  });

  it("cli - an unknown --strategy is refused before connecting", async () => {
    const r = await cli(["coordinator", "--strategy", "fastest", "--nats-url", UNREACHABLE]);
    refused(r, /--strategy fastest: use one of .*least-connections/);
  });

  it("cli - a --metrics-port in use is the first and only line", async () => {
    const r = await cli([
      "coordinator",
      "--metrics-port",
      String(busyPort),
      "--log-level",
      "info",
      "--nats-url",
      UNREACHABLE,
    ]);
    refused(r, `--metrics-port: cannot listen on 127.0.0.1:${busyPort}: the port is in use`);
    expect(r.stdout).toBe("");
  });

  it("cli - help says what is required and which spellings work", async () => {
    const [submit, collector, top] = await Promise.all([
      cli(["submit", "--help"]),
      cli(["collector", "--help"]),
      cli(["--help"]),
    ]);
    const flat = (s: string) => s.replace(/\s+/g, " ");
    expect(flat(submit.stdout)).toMatch(/--caps <caps>.*\(required\)/);
    expect(flat(submit.stdout)).toContain("(any case), joined with | or , (PROCESS|REALTIME)");
    expect(flat(submit.stdout)).toContain("low, normal, high or critical, or 0-3");
    expect(flat(submit.stdout)).toContain("@FILE");
    expect(flat(collector.stdout)).toMatch(/--type <type>.*\(required\)/);
    for (const flag of ["--user", "--password", "--config", "--creds", "--nats-url"]) {
      expect(top.stdout).toContain(flag);
    }
    expect(flat(top.stdout)).toContain("NATS_URL, which demo ignores");
    expect(flat(top.stdout)).toContain("Options of every subcommand but completion and auth");
    expect(flat(top.stdout)).toContain("500ms, 5s, 2m, 1h");
  });

  it("cli - the documented spellings of caps, priority and durations are accepted", async () => {
    const results = await Promise.all(
      [
        ["--caps", "process", "--priority", "3", "--timeout", "1h"],
        ["--caps", "PROCESS,REALTIME", "--priority", "CRITICAL", "--timeout", "1.5s"],
        ["--caps", "17", "--priority", "low", "--timeout", "250"],
      ].map((a) => cli(["submit", ...a, "--nats-url", UNREACHABLE])),
    );
    for (const r of results) expect(r.stderr).toContain("cannot connect to NATS");
  });
});
