/**
 * The preamble of a secured-mesh test file: an auth directory made with the CLI and a server of
 * the file's own that includes it (beforeAll), cleanups run in reverse after the file's last
 * test, then the server stopped and the directory removed (afterAll). Plus the coordinator and
 * the procmond collector most of those files start under their identities.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll } from "vitest";
import { Collector, type CollectorInit } from "../../src/collector/index.js";
import { Coordinator } from "../../src/coordinator/index.js";
import { SourceCaps } from "../../subjects/index.js";
import { IDS, makeAuthDir, startSecuredMesh, type Login, type SecuredMesh } from "./support.js";

export interface SecuredFixture extends SecuredMesh {
  /** Runs `fn` after the file's last test, after those registered later; failures ignored. */
  cleanup(fn: () => unknown): void;
}

/** Registers the file's hooks; `extraInit` goes to `auth init` (e.g. `--tls`). */
export function useSecuredMesh(extraInit: string[] = []): SecuredFixture {
  let mesh: SecuredMesh | undefined;
  let authDir: string | undefined;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    authDir = await makeAuthDir(extraInit);
    mesh = await startSecuredMesh(authDir);
  });
  afterAll(async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch(() => undefined);
    }
    await mesh?.dispose();
    if (authDir) rmSync(authDir, { recursive: true, force: true });
  });
  const live = (): SecuredMesh => {
    if (!mesh) throw new Error("useSecuredMesh(): the mesh is started in beforeAll");
    return mesh;
  };
  const fixture: SecuredFixture = {
    get ns() {
      return live().ns;
    },
    get authDir() {
      return live().authDir;
    },
    login: (who, opts) => live().login(who, opts),
    root: () => live().root(),
    reload: () => live().reload(),
    dispose: () => live().dispose(),
    [Symbol.asyncDispose]: () => live().dispose(),
    cleanup: (fn) => {
      cleanups.push(fn);
    },
  };
  return fixture;
}

/** A started Coordinator under IDS.coordinator (advert TTL 1.5 s unless told); stopped at cleanup. */
export async function securedCoordinator(
  mesh: SecuredFixture,
  opts: Partial<ConstructorParameters<typeof Coordinator>[0]> = {},
): Promise<{ login: Login; coordinator: Coordinator }> {
  const login = await mesh.login(IDS.coordinator);
  const coordinator = new Coordinator({
    nc: login.nc,
    id: IDS.coordinator.name,
    advertTtlMs: 1500,
    ...opts,
  });
  await coordinator.start();
  mesh.cleanup(() => coordinator.stop());
  return { login, coordinator };
}

/**
 * A started procmond Collector under IDS.collectorA (PROCESS, heartbeat 250 ms, TTL 1.5 s, an
 * echo handler unless told); stopped at cleanup.
 */
export async function securedCollector(
  mesh: SecuredFixture,
  opts: Partial<CollectorInit> = {},
): Promise<{ login: Login; collector: Collector }> {
  const login = await mesh.login(IDS.collectorA);
  const collector = new Collector({
    id: IDS.collectorA.name,
    type: "procmond",
    capabilities: SourceCaps.PROCESS,
    heartbeatMs: 250,
    ttlMs: 1500,
    handler: (payload) => ({ echo: payload }),
    ...opts,
  });
  await collector.start(login.nc);
  mesh.cleanup(() => collector.stop());
  return { login, collector };
}
