import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { until } from "../support/nats-server.js";
import {
  ROOT,
  cli,
  cliOnTerminal,
  isOneLineError,
  type CliProcess,
  type CliResult,
} from "./cli.js";
import { useCliMesh } from "./cli-mesh.js";

/**
 * `collector-mesh hunt` against a mesh of CLI processes: README's Hunting example line by line,
 * then what the prose around it promises (a collector that joins later gets its part, one that
 * restarts does not run it again, stop and resume), and what start says when nobody matches.
 */
const mesh = useCliMesh();
let url: string;

beforeAll(async () => {
  url = mesh.ns.url;
  mesh.start(["coordinator", "--id", "coord-hunt"]);
  await until(
    () =>
      mesh.collectorIds().then(
        () => true,
        () => false,
      ),
    60_000,
    "coordinator",
  );
}, 90_000);

/** The README's first ```sh block under "## Hunting", one command line per item. */
function huntingExample(): string[] {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Hunting"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block.split("\n").filter((l) => l.trim() !== "");
}

/** Shell words of a simple command line: single-quoted words lose their quotes. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? "");
}

const hunt = (...args: string[]) => cli(["hunt", ...args, "--nats-url", url]);
/** The row of a collector's part in `hunt show`: `procmond-1  ok  …  1  <sent>  …`. */
const row = (show: string, id: string) =>
  new RegExp(
    `^${id}\\s+(\\S+)\\s+(?:\\S+\\s+)?(\\d+)\\s+(\\d\\d:\\d\\d:\\d\\d\\.\\d{3})`,
    "m",
  ).exec(show);

describe("cli - hunts", { timeout: 120_000 }, () => {
  it("cli - README's Hunting example runs as written: the eu collector answers, the us one is not asked", async () => {
    const lines = huntingExample();
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const procs = new Map<string, CliProcess>();
    const outputs: CliResult[] = [];
    for (const line of lines) {
      const [cmd, sub, ...rest] = words(line);
      expect(cmd, line).toBe("collector-mesh");
      if (sub === "collector") {
        const id = rest[rest.indexOf("--id") + 1] ?? "";
        procs.set(id, mesh.start([sub, ...rest]));
        await until(async () => (await mesh.collectorIds()).includes(id), 60_000, id);
        continue;
      }
      let r = await cli([sub ?? "", ...rest, "--nats-url", url]);
      // A part takes a moment: `hunt show` is run again until the eu collector has answered,
      // as a user would.
      if (rest[0] === "show") {
        r = await until(
          async () => {
            const again = await cli([sub ?? "", ...rest, "--nats-url", url]);
            return row(again.stdout, "procmond-1")?.[1] === "ok" ? again : undefined;
          },
          20_000,
          "procmond-1 answered",
        );
      }
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      outputs.push(r);
    }
    const [start, show, results] = outputs.map((r) => r.stdout);
    expect(start).toContain("hunt sshd-hashes: running");
    expect(start).toContain("targets PROCESS where zone=eu");
    expect(start).toContain("at most 20 new part(s)/s");
    expect(start).toMatch(/^1 matching collector\(s\) now/m);
    expect(show).toContain("started by cli");
    expect(show).toMatch(/targeted 1 {2}answered 1 {2}errors 0 {2}pending 0 {2}done/);
    expect(row(show ?? "", "procmond-2")).toBeNull();
    expect(results).toMatch(/^procmond-1: ok, 1 result\(s\)$/m);
    expect(results).not.toContain("procmond-2");

    // procmond-3 starts later and gets its part; procmond-1 restarts and does not run it again.
    const sent1 = row(show ?? "", "procmond-1")?.[3];
    procs.set(
      "procmond-3",
      mesh.start(["collector", "--type", "procmond", "--id", "procmond-3", "--zone", "eu"]),
    );
    await procs.get("procmond-1")?.stop("SIGTERM");
    await until(async () => !(await mesh.collectorIds()).includes("procmond-1"), 30_000, "left");
    mesh.start(["collector", "--type", "procmond", "--id", "procmond-1", "--zone", "eu"]);
    // Another hunt for procmond-1 alone: once it has answered, the runner has seen the restart.
    const probe = await hunt(
      "start",
      "--caps",
      "PROCESS",
      "--collectors",
      "procmond-1",
      "--id",
      "probe",
      "{}",
    );
    expect(probe.code, probe.stderr).toBe(0);
    await until(
      async () => row((await hunt("show", "probe")).stdout, "procmond-1")?.[1] === "ok",
      30_000,
      "the restarted procmond-1 answered another hunt",
    );
    const after = await until(
      async () => {
        const r = await hunt("show", "sshd-hashes");
        return row(r.stdout, "procmond-3")?.[1] === "ok" ? r.stdout : undefined;
      },
      30_000,
      "procmond-3 answered",
    );
    expect(row(after, "procmond-1")?.slice(1)).toEqual(["ok", "1", sent1]);
    expect(after).toMatch(/targeted 2 {2}answered 2 {2}errors 0 {2}pending 0/);

    const ls = await hunt("ls");
    expect(ls.stdout).toMatch(/^sshd-hashes\s+running\s+cli\s/m);
    const stop = await hunt("stop", "sshd-hashes", "--reason", "done");
    expect(stop.stdout.trim()).toBe("hunt sshd-hashes: stopped");
    expect((await hunt("show", "sshd-hashes", "--no-follow")).stdout).toContain(
      "hunt sshd-hashes: stopped (done)",
    );
    const resume = await hunt("resume", "sshd-hashes");
    expect(resume.stdout.trim()).toBe("hunt sshd-hashes: running");
  });

  it("cli - hunt start says when no collector matches yet and that the hunt waits for one", async () => {
    const r = await hunt(
      "start",
      "--caps",
      "PROCESS",
      "--where",
      "zone=mars",
      "--id",
      "mars",
      "{}",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^no matching collector yet: the hunt waits for one to join until /m);
    const show = await hunt("show", "mars");
    expect(show.stdout).toContain("(no matching collector yet: waiting for one to join)");
  });

  it("cli - hunt show on a terminal redraws a live progress line until nothing is pending; --json stays one JSON object", async () => {
    for (const id of ["tty-1", "tty-2", "tty-3"]) {
      mesh.start(["collector", "--type", "procmond", "--id", id, "--label", "role=tty"]);
    }
    await until(
      async () => (await mesh.collectorIds()).filter((id) => id.startsWith("tty-")).length === 3,
      60_000,
      "three tty collectors",
    );
    // A part every 5 s: the second and third go out 5 and 10 s after the first, so a `show`
    // started late on a loaded machine still draws several lines while parts are pending.
    const start = await hunt(
      "start",
      "--caps",
      "PROCESS",
      "--where",
      "role=tty",
      "--rate",
      "0.2",
      "--id",
      "slow",
      "{}",
    );
    expect(start.code, start.stderr).toBe(0);
    const r = await cliOnTerminal(["hunt", "show", "slow", "--nats-url", url]);
    expect(r.code, r.stdout).toBe(0);
    const redraws = r.stdout.split("\r\x1b[2K").slice(1, -1);
    expect(redraws.length).toBeGreaterThanOrEqual(2);
    for (const d of redraws) {
      expect(d).toMatch(/^targeted 3 {2}answered \d {2}errors 0 {2}pending [1-3] {2}ETA .+$/);
    }
    // Then the table, once every part has answered.
    const final = r.stdout.split("\r\x1b[2K").at(-1) ?? "";
    expect(final).toContain("targeted 3  answered 3  errors 0  pending 0  done");
    for (const id of ["tty-1", "tty-2", "tty-3"])
      expect(row(final.replace(/\r/g, ""), id)?.[1]).toBe("ok");

    const json = await cliOnTerminal(["hunt", "show", "slow", "--json", "--nats-url", url]);
    expect(json.code, json.stdout).toBe(0);
    expect(json.stdout).not.toContain("\x1b");
    const lines = json.stdout.split("\r\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    const v = JSON.parse(lines[0] ?? "") as {
      record: { huntId: string };
      progress: { answered: number };
    };
    expect(v.record.huntId).toBe("slow");
    expect(v.progress.answered).toBe(3);
  });

  it("cli - hunt results and show of a hunt that does not exist are one-line errors", async () => {
    for (const sub of ["results", "show"]) {
      const r = await hunt(sub, "no-such-hunt");
      expect(isOneLineError(r), `${sub}: ${r.stderr}`).toBe(true);
      expect(r.stderr).toContain("no hunt no-such-hunt of cli");
      expect(r.stdout).toBe("");
    }
  });

  it("cli - hunt start --expires past 7 days is refused in days, before connecting", async () => {
    const r = await cli([
      "hunt",
      "start",
      "--caps",
      "PROCESS",
      "--expires",
      "8d",
      "--nats-url",
      "nats://127.0.0.1:1",
    ]);
    expect(isOneLineError(r), r.stderr).toBe(true);
    expect(r.stderr).toContain(
      "option '--expires <duration>' argument '8d' is invalid. Use at most 7d.",
    );
  });
});
