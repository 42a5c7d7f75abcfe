/**
 * docker-compose.yml's secured mesh without Docker: scripts/mesh-secrets.sh generates the
 * identities, a real nats-server includes the generated server.conf, and the compose services'
 * own commands run as collector-mesh processes with the NATS_NKEY compose gives each (mapped
 * from the container's path to the generated directory). A publisher's submit and an operator's
 * status then work from the host, as the compose file's header says.
 */
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliProcess, cli, cliEnv } from "../cli/cli.js";
import { NatsServer, requireNatsServer, until } from "../support/nats-server.js";
import {
  COMPOSE_FILE,
  copyDeploy,
  flag,
  loadCompose,
  meshServices,
  parseVolume,
} from "./support.js";

const compose = loadCompose(COMPOSE_FILE);
let copy: ReturnType<typeof copyDeploy>;
let ns: NatsServer;
const procs: CliProcess[] = [];

/** The host path of a file compose mounts into a mesh service's container. */
function hostPath(containerPath: string): string {
  const [, svc] = meshServices(compose)[0]!;
  for (const v of (svc.volumes ?? []).map(parseVolume)) {
    if (containerPath.startsWith(`${v.target}/`)) {
      const rel = relative("./deploy", v.source);
      return join(copy.dir, rel, containerPath.slice(v.target.length + 1));
    }
  }
  throw new Error(`${containerPath} is mounted from nowhere`);
}

beforeAll(async () => {
  requireNatsServer();
  copy = copyDeploy({ secrets: true });
  ns = await NatsServer.start({
    jetstream: true,
    parentDir: join(copy.dir, ".."),
    // The server's config is one directory below the copy's parent.
    extraConfig: `include ${JSON.stringify(join("..", "deploy", "secrets", "server.conf"))}`,
  });
});
afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.stop()));
  await ns?.stop();
  copy?.dispose();
});

describe("deploy - the compose services run under the generated identities", () => {
  it("deploy - coordinator and collectors start with their NATS_NKEY; submit and status work from the host", async () => {
    const services = meshServices(compose);
    // The coordinator first: it creates the advert bucket, which collectors may only bind.
    services.sort(([, a], [, b]) =>
      a.command?.[0] === "coordinator" ? -1 : b.command?.[0] === "coordinator" ? 1 : 0,
    );
    for (const [name, svc] of services) {
      const nkey = svc.environment?.NATS_NKEY;
      expect(nkey, name).toBeDefined();
      const args = [...(svc.command ?? [])];
      if (args[0] === "collector" && flag(args, "--type") === "fsmond") {
        args[args.indexOf("--roots") + 1] = copy.dir;
      }
      const p = new CliProcess(args, {
        env: cliEnv({ NATS_URL: ns.url, NATS_NKEY: hostPath(nkey!), OTEL_SDK_DISABLED: "true" }),
      });
      procs.push(p);
      if (args[0] === "coordinator") {
        const ops = join(copy.dir, "secrets", "nkeys", "operator-ops.nk");
        await until(
          async () => {
            const r = await cli(["status", "--nats-url", ns.url, "--nkey", ops]);
            return r.code === 0 && r.stdout.startsWith("no collectors in");
          },
          30_000,
          "the coordinator created the advert bucket",
        );
      }
    }
    const secrets = join(copy.dir, "secrets", "nkeys");
    const ids = services
      .filter(([, s]) => s.command?.[0] === "collector")
      .map(([, s]) => flag(s.command, "--id"));
    await until(
      async () => {
        const r = await cli([
          "status",
          "--json",
          "--nats-url",
          ns.url,
          "--nkey",
          join(secrets, "operator-ops.nk"),
        ]);
        if (r.code !== 0) return false;
        const rows = JSON.parse(r.stdout) as { id: string; health: string }[];
        return rows.filter((row) => row.health === "healthy").length === ids.length;
      },
      30_000,
      "every collector advertised and healthy",
    );
    const submit = await cli([
      "submit",
      "--caps",
      "NETWORK",
      "--json",
      "--nats-url",
      ns.url,
      "--nkey",
      join(secrets, "publisher-app.nk"),
    ]);
    expect(submit.stderr).toBe("");
    expect(submit.code).toBe(0);
    const agg = JSON.parse(submit.stdout) as { status: string; results: { collectorId: string }[] };
    expect(agg.status).toBe("complete");
    expect(agg.results.map((r) => r.collectorId)).toEqual(["netmond-1"]);
    for (const p of procs) expect(p.running, p.stderr).toBe(true);
  });
});
