/**
 * The preamble of the Rust collector's contract tests: the crate built once per file (beforeAll,
 * with the build's own timeout), then the file's mesh (test/support/mesh-fixture.ts), and the
 * binary spawned on it, killed at cleanup.
 */
import type { ChildProcess } from "node:child_process";
import { beforeAll } from "vitest";
import { killChild } from "../support/nats-server.js";
import { extendMesh, useMesh, type MeshFixture } from "../support/mesh-fixture.js";
import {
  BUILD_TIMEOUT_MS,
  buildRustCollector,
  spawnRustCollector,
  type RustCollectorOptions,
} from "./rust.js";

export interface RustMesh extends MeshFixture {
  /** Starts the Rust collector on this mesh (resolves once it is ready); killed at cleanup. */
  rust(o: RustCollectorOptions): Promise<ChildProcess>;
}

/** Registers the file's hooks: the build first, then the mesh; cleanups after each test. */
export function useRustMesh(): RustMesh {
  let bin: string | undefined;
  beforeAll(() => {
    bin = buildRustCollector();
  }, BUILD_TIMEOUT_MS);
  const mesh = useMesh();
  const extra: Omit<RustMesh, keyof MeshFixture> = {
    async rust(o: RustCollectorOptions): Promise<ChildProcess> {
      if (!bin) throw new Error("useRustMesh(): the crate is built in beforeAll");
      const child = await spawnRustCollector(bin, mesh.ns.url, o);
      mesh.cleanup(() => killChild(child));
      return child;
    },
  };
  return extendMesh(mesh, extra);
}
