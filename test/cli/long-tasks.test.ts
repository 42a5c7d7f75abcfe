import type { ChildProcess } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { until } from "../support/nats-server.js";
import { cli } from "./cli.js";
import { useCliMesh } from "./cli-mesh.js";

/**
 * Tasks that run longer than the coordinator's attempt timeout, through the command: a
 * `coordinator` child with `--attempt-timeout 3s`, collectors in processes of their own, and
 * `submit` and `stats` as further children. A collector that says it is still working keeps its
 * attempt; one that goes quiet loses it, the re-send shows in `submit`, and the abandoned run is
 * cancelled on its instance.
 */

const ATTEMPT = "3s";
const mesh = useCliMesh();
let url: string;

/** What a child collector printed on stdout since it was started. */
function output(child: ChildProcess): () => string {
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  return () => out;
}

async function stats(): Promise<{ coordinator: { resent: number; attemptTimeouts: number } }> {
  const r = await cli(["stats", "--json", "--nats-url", url]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { coordinator: { resent: number; attemptTimeouts: number } };
}

beforeAll(async () => {
  url = mesh.ns.url;
  mesh.start(["coordinator", "--id", "coord-long", "--attempt-timeout", ATTEMPT]);
  await until(
    async () => {
      const dead = mesh.children.find((c) => !c.running);
      if (dead) throw new Error(`the coordinator exited: ${dead.stderr}`);
      return (await cli(["stats", "--json", "--nats-url", url])).code === 0;
    },
    60_000,
    "coordinator answering",
  );
}, 90_000);

describe("cli - tasks longer than an attempt", { timeout: 90_000 }, () => {
  it("cli - a task that runs for more than two attempt timeouts completes on its first attempt", async () => {
    // 8 s of work, its progress every second (the SDK's default): the attempt is never overdue.
    await mesh.child({ id: "long", delayMs: 8000 });
    await until(async () => (await mesh.collectorIds()).includes("long"), 20_000, "long routable");
    const r = await cli(
      ["submit", "--caps", "PROCESS", "--timeout", "30s", '"hash"', "--nats-url", url],
      { timeoutMs: 45_000 },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^complete: 1 of 1 result in (\d+(\.\d)?) s \(correlation /);
    const took = Number(/result in (\d+(?:\.\d)?) s/.exec(r.stdout)?.[1]);
    expect(took).toBeGreaterThan(6); // longer than two attempt timeouts: progress kept it
    expect(r.stdout).toMatch(/^\s+long\s+ok\s+1\s/m);
    expect(r.stdout).not.toContain("re-send");
    expect((await stats()).coordinator).toMatchObject({ resent: 0, attemptTimeouts: 0 });
  });

  it("cli - an attempt that goes quiet is sent again, shown by submit, and cancelled on its instance", async () => {
    // "quiet" runs for ever and says nothing; "quick" answers at once.
    const quiet = await mesh.child({
      id: "quiet",
      hang: true,
      progressMs: 60_000,
      reportAborts: true,
    });
    const quietOut = output(quiet);
    await mesh.child({ id: "quick" });
    await until(
      async () => {
        const ids = await mesh.collectorIds();
        return ids.includes("quiet") && ids.includes("quick");
      },
      20_000,
      "quiet and quick routable",
    );
    const before = (await stats()).coordinator.resent;
    const r = await cli(
      [
        "submit",
        "--caps",
        "PROCESS",
        "--collectors",
        "quiet,quick",
        "--prefer",
        "id=quiet",
        "--timeout",
        "30s",
        '"hash"',
        "--nats-url",
        url,
      ],
      { timeoutMs: 45_000 },
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/^complete: 1 of 1 result in .*, 1 re-send \(correlation /);
    expect(r.stdout).toMatch(/^\s+quick\s+ok\s+2\s/m);
    const correlation = /\(correlation (\S+)\)/.exec(r.stdout)?.[1];
    expect(correlation).toBeDefined();
    // The abandoned first attempt was aborted on "quiet" by the coordinator's cancel.
    await until(() => /^aborted /m.test(quietOut()), 10_000, "quiet's run aborted");
    expect(quietOut()).toMatch(new RegExp(`^aborted ${correlation}-0 attempt 0: CANCELLED$`, "m"));
    expect((await stats()).coordinator.resent).toBe(before + 1);
  });
});
