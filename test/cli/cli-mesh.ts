/**
 * The preamble of the CLI tests that run a mesh of CLI processes: the file's own server
 * (test/support/mesh-fixture.ts), children started against it (`--nats-url`, `--log-level warn`)
 * and SIGKILLed after the file's last test, and the coordinator's view of the collectors.
 */
import { decode, encode } from "../../src/codec.js";
import { StatusReply, StatusRequest, Subjects } from "../../subjects/index.js";
import { extendMesh, useMesh, type MeshFixture } from "../support/mesh-fixture.js";
import { CliProcess } from "./cli.js";

export interface CliMesh extends MeshFixture {
  /** Starts `collector-mesh <args>` on this mesh; SIGKILLed after the file's last test. */
  start(args: readonly string[]): CliProcess;
  /** Every child start() started, in order. */
  readonly children: readonly CliProcess[];
  /** Ids of the collectors the coordinator reports (on the default prefix), healthy only unless told. */
  collectorIds(o?: { healthyOnly?: boolean }): Promise<string[]>;
}

/** Registers the file's hooks (cleanups run once, after the file's last test). */
export function useCliMesh(): CliMesh {
  const mesh = useMesh({ cleanupAfter: "all" });
  const subjects = new Subjects();
  const children: CliProcess[] = [];
  mesh.cleanup(() => Promise.all(children.map((c) => c.stop("SIGKILL"))));
  const extra: Omit<CliMesh, keyof MeshFixture> = {
    children,
    start(args: readonly string[]): CliProcess {
      const c = new CliProcess([...args, "--nats-url", mesh.ns.url, "--log-level", "warn"]);
      children.push(c);
      return c;
    },
    async collectorIds(o: { healthyOnly?: boolean } = {}): Promise<string[]> {
      const msg = await mesh.nc.request(subjects.api("status"), encode(StatusRequest, {}), {
        timeout: 1000,
      });
      return decode(StatusReply, msg.data)
        .collectors.filter((c) => !(o.healthyOnly ?? true) || c.health === "healthy")
        .map((c) => c.advert.id);
    },
  };
  return extendMesh(mesh, extra);
}
