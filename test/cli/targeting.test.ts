import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode, encode } from "../../src/codec.js";
import {
  StatusReply,
  StatusRequest,
  Subjects,
  type AggregatedResult,
} from "../../subjects/index.js";
import { startMesh, until, type Mesh } from "../support/nats-server.js";
import { CliProcess, cli, isOneLineError } from "./cli.js";

/**
 * `submit --where/--collectors` and the coverage table against a mesh of CLI processes: a
 * coordinator and two procmond collectors with their own labels and zones.
 */
const subjects = new Subjects();
let mesh: Mesh;
let url: string;
const children: CliProcess[] = [];

function start(args: readonly string[]): CliProcess {
  const c = new CliProcess([...args, "--nats-url", url, "--log-level", "warn"]);
  children.push(c);
  return c;
}

beforeAll(async () => {
  mesh = await startMesh();
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
      const msg = await mesh.nc.request(subjects.api("status"), encode(StatusRequest, {}), {
        timeout: 1000,
      });
      const ids = decode(StatusReply, msg.data).collectors.map((c) => c.advert.id);
      return ids.includes("pm-web") && ids.includes("pm-db");
    },
    60_000,
    "coordinator and collectors ready",
  );
}, 90_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop("SIGKILL")));
  await mesh?.dispose();
});

const payload = JSON.stringify({ pids: [process.pid] });

describe("cli - targeting", { timeout: 60_000 }, () => {
  it("cli - submit --mode all --where runs on the matching collectors only and lists them", async () => {
    const r = await cli([
      "submit",
      "--caps",
      "PROCESS",
      "--mode",
      "all",
      "--where",
      "role=web",
      "--json",
      payload,
      "--nats-url",
      url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const agg = JSON.parse(r.stdout) as AggregatedResult;
    expect(agg.results.map((x) => x.collectorId)).toEqual(["pm-web"]);
    expect(agg.instances).toEqual([{ collectorId: "pm-web", state: "ok" }]);

    const zone = await cli([
      "submit",
      "--caps",
      "PROCESS",
      "--mode",
      "all",
      "--where",
      "zone=us",
      "--json",
      payload,
      "--nats-url",
      url,
    ]);
    expect((JSON.parse(zone.stdout) as AggregatedResult).results.map((x) => x.collectorId)).toEqual(
      ["pm-db"],
    );
  });

  it("cli - submit --collectors prints the coverage table with the instance not reached", async () => {
    const r = await cli([
      "submit",
      "--caps",
      "PROCESS",
      "--mode",
      "all",
      "--collectors",
      "pm-db,ghost",
      payload,
      "--nats-url",
      url,
    ]);
    // ghost was never reached: the submission is not all ok.
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toContain(
      "instances: 2 targeted, 1 ok, 0 error, 0 timed out, 0 lost, 1 not reached",
    );
    expect(r.stdout).toMatch(/ghost\s+not_reached\s+NO_CAPABLE_COLLECTOR/);
  });

  it("cli - a malformed --where is refused with the position of the mistake; no match fails at once", async () => {
    const bad = await cli([
      "submit",
      "--caps",
      "PROCESS",
      "--where",
      "role=web,,x=1",
      "--nats-url",
      url,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("an empty term at position 10");
    const none = await cli([
      "submit",
      "--caps",
      "PROCESS",
      "--where",
      "role=cache",
      payload,
      "--nats-url",
      url,
    ]);
    expect(none.code).toBe(1);
    expect(isOneLineError(none), none.stderr).toBe(true);
    expect(none.stderr).toContain("matches where role=cache");
  });
});
