import { beforeAll, describe, expect, it } from "vitest";
import type { AggregatedResult } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { cli, cliOnTerminal, isOneLineError } from "./cli.js";
import { useCliMesh } from "./cli-mesh.js";

/**
 * `submit --where/--collectors` and the coverage table against a mesh of CLI processes: a
 * coordinator and two procmond collectors with their own labels and zones.
 */
const mesh = useCliMesh();
const start = (args: readonly string[]) => mesh.start(args);
let url: string;

beforeAll(async () => {
  url = mesh.ns.url;
  start(["coordinator", "--id", "coord-tg"]);
  start([
    "collector",
    "--type",
    "procmond",
    "--id",
    "pm-web",
    "--label",
    "role=web",
    "--zone",
    "eu",
  ]);
  start(["collector", "--type", "procmond", "--id", "pm-db", "--label", "role=db", "--zone", "us"]);
  await until(
    async () => {
      const ids = await mesh.collectorIds({ healthyOnly: false });
      return ids.includes("pm-web") && ids.includes("pm-db");
    },
    60_000,
    "coordinator and collectors ready",
  );
}, 90_000);

const payload = JSON.stringify({ pids: [process.pid] });
/** `collector-mesh submit --caps PROCESS <args> --nats-url <url>`. */
const submit = (...args: string[]) =>
  cli(["submit", "--caps", "PROCESS", ...args, "--nats-url", url]);

describe("cli - targeting", { timeout: 60_000 }, () => {
  it("cli - submit --mode all --where runs on the matching collectors only and lists them", async () => {
    const r = await submit("--mode", "all", "--where", "role=web", "--json", payload);
    expect(r.code, r.stderr).toBe(0);
    const agg = JSON.parse(r.stdout) as AggregatedResult;
    expect(agg.results.map((x) => x.collectorId)).toEqual(["pm-web"]);
    expect(agg.instances).toEqual([{ collectorId: "pm-web", state: "ok" }]);

    const zone = await submit("--mode", "all", "--where", "zone=us", "--json", payload);
    expect((JSON.parse(zone.stdout) as AggregatedResult).results.map((x) => x.collectorId)).toEqual(
      ["pm-db"],
    );
  });

  it("cli - submit --collectors prints the coverage table with the instance not reached", async () => {
    const r = await submit("--mode", "all", "--collectors", "pm-db,ghost", payload);
    // ghost was never reached: the submission is not all ok.
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain(
      "instances: 2 targeted, 1 ok, 0 error, 0 timed out, 0 lost, 1 not reached",
    );
    expect(r.stdout).toMatch(/ghost\s+not_reached\s+NO_CAPABLE_COLLECTOR/);
  });

  it("cli - submit --mode all on a terminal draws a live progress line, cleared before the result; --json stays one JSON line", async () => {
    const args = ["submit", "--caps", "PROCESS", "--mode", "all", "--nats-url", url, payload];
    const r = await cliOnTerminal(args);
    expect(r.code, r.stdout).toBe(0);
    const screen = r.stdout.split("\r\x1b[2K");
    // Drawn at least once before the result, then cleared: the result stands alone after it.
    const drawn = screen.slice(1, -1);
    expect(drawn.length).toBeGreaterThanOrEqual(1);
    for (const d of drawn) {
      expect(d).toMatch(
        /^\d+(\/2)? answered, \d+ errors?(, \d+ pending(, (ETA|deadline in) .+)?)?$/,
      );
    }
    expect(screen.at(-1)).toMatch(/^complete: 2 of 2 results/);
    expect(screen.at(-1)).toContain("instances: 2 targeted, 2 ok");

    const json = await cliOnTerminal([...args.slice(0, -1), "--json", payload]);
    expect(json.code, json.stdout).toBe(0);
    expect(json.stdout).not.toContain("\x1b");
    const lines = json.stdout.split("\r\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    const agg = JSON.parse(lines[0] ?? "") as AggregatedResult;
    expect(agg.instances?.map((i) => [i.collectorId, i.state])).toEqual([
      ["pm-db", "ok"],
      ["pm-web", "ok"],
    ]);
  });

  it("cli - a malformed --where is refused with the position of the mistake; no match fails at once", async () => {
    const bad = await submit("--where", "role=web,,x=1");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("an empty term at position 10");
    const none = await submit("--where", "role=cache", payload);
    expect(none.code).toBe(1);
    expect(isOneLineError(none), none.stderr).toBe(true);
    expect(none.stderr).toContain("matches where role=cache");
  });
});
