/**
 * The preamble of an integration test file: its own nats-server for the file (startMesh() in
 * beforeAll, disposed in afterAll), and cleanups that run in reverse order after each test or
 * once at the end of the file. Plus the test Collector and Coordinator most files start, with
 * the defaults they share, each stopped by the fixture's cleanup.
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import type { ChildProcess } from "node:child_process";
import type { NatsConnection } from "@nats-io/nats-core";
import { Collector, type CollectorInit } from "../../src/collector/index.js";
import { Coordinator, type CoordinatorEvent } from "../../src/coordinator/index.js";
import { SourceCaps } from "../../subjects/index.js";
import {
  killChild,
  spawnCollector,
  startMesh,
  until,
  type ChildCollectorOptions,
  type Mesh,
  type NatsServer,
} from "./nats-server.js";

export interface MeshFixture {
  /** The file's server (valid from beforeAll on). */
  readonly ns: NatsServer;
  /** The file's first connection. */
  readonly nc: NatsConnection;
  /** A further connection to the same server, closed when the mesh is disposed. */
  connect(name?: string): Promise<NatsConnection>;
  /** Runs `fn` at cleanup time, after those registered later; its failure is ignored. */
  cleanup(fn: () => unknown): void;
  /**
   * A started Collector of type `test` with the PROCESS capability, a 250 ms heartbeat and a 3 s
   * advert TTL unless told otherwise; stopped at cleanup.
   */
  collector(init: TestCollectorInit): Promise<Collector>;
  /** A started Coordinator on a connection of its own; stopped at cleanup. */
  coordinator(init?: TestCoordinatorInit): Promise<Coordinator>;
  /**
   * A collector in a process of its own (test/support/collector-child.ts) with the PROCESS
   * capability and a 250 ms heartbeat unless told otherwise; killed at cleanup (thawed first,
   * in case a test froze it with SIGSTOP).
   */
  child(opts: TestChildOptions): Promise<ChildProcess>;
}

export interface UseMeshOptions {
  /** When the cleanups run: after each test (default) or once, after the file's last test. */
  cleanupAfter?: "each" | "all";
}

/** Registers the file's hooks; the returned fixture is usable inside tests and hooks. */
export function useMesh(opts: UseMeshOptions = {}): MeshFixture {
  let mesh: Mesh | undefined;
  const cleanups: (() => unknown)[] = [];
  const runCleanups = async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch(() => undefined);
    }
  };
  const live = (): Mesh => {
    if (!mesh) throw new Error("useMesh(): the mesh is started in beforeAll");
    return mesh;
  };
  beforeAll(async () => {
    mesh = await startMesh();
  });
  if ((opts.cleanupAfter ?? "each") === "each") afterEach(runCleanups);
  afterAll(async () => {
    await runCleanups();
    await mesh?.dispose();
  });
  const fixture: MeshFixture = {
    get ns() {
      return live().ns;
    },
    get nc() {
      return live().nc;
    },
    connect: (name) => live().connect(name),
    cleanup: (fn) => {
      cleanups.push(fn);
    },
    collector: (init) => startCollector(fixture, init),
    coordinator: (init = {}) => startCoordinator(fixture, init),
    child: (opts) => startChild(fixture, opts),
  };
  return fixture;
}

/** `mesh` with `extra`'s members beside its own (which stay live). */
export function extendMesh<T extends object>(mesh: MeshFixture, extra: T): MeshFixture & T {
  return Object.assign(Object.create(mesh) as MeshFixture, extra);
}

/** What collector() needs; everything else has the tests' defaults. */
export type TestCollectorInit = Pick<CollectorInit, "id" | "handler"> &
  Partial<CollectorInit> & {
    /** The connection to start on (default: a new one named by the id, closed at cleanup). */
    nc?: NatsConnection;
  };

async function startCollector(mesh: MeshFixture, init: TestCollectorInit): Promise<Collector> {
  const { nc: given, ...rest } = init;
  const nc = given ?? (await mesh.connect(init.id));
  const c = new Collector({
    type: "test",
    capabilities: SourceCaps.PROCESS,
    heartbeatMs: 250,
    ttlMs: 3000,
    ...rest,
  });
  await c.start(nc);
  mesh.cleanup(async () => {
    await c.stop();
    if (!given) await nc.close();
  });
  return c;
}

/** What coordinator() needs; `name` is its connection's name (default `coordinator`). */
export type TestCoordinatorInit = Partial<ConstructorParameters<typeof Coordinator>[0]> & {
  name?: string;
};

async function startCoordinator(
  mesh: MeshFixture,
  init: TestCoordinatorInit,
): Promise<Coordinator> {
  const { name = "coordinator", nc, ...rest } = init;
  const c = new Coordinator({ nc: nc ?? (await mesh.connect(name)), ...rest });
  await c.start();
  mesh.cleanup(() => c.stop());
  return c;
}

/** Every event `c` emits from now on. */
export function recordEvents(c: Coordinator): CoordinatorEvent[] {
  const events: CoordinatorEvent[] = [];
  c.onEvent((e) => events.push(e));
  return events;
}

/** Waits until `c` sees every one of `ids` healthy. */
export function routable(c: Coordinator, ids: readonly string[], ms = 5000): Promise<boolean> {
  return until(
    () => ids.every((id) => c.router.get(id)?.health === "healthy"),
    ms,
    `${ids.join(",")} routable`,
  );
}

/** What child() needs: collector-child.ts's options, the capabilities optional. */
export type TestChildOptions = Omit<ChildCollectorOptions, "caps"> & { caps?: number };

async function startChild(mesh: MeshFixture, opts: TestChildOptions): Promise<ChildProcess> {
  const proc = await spawnCollector(mesh.ns.url, {
    caps: SourceCaps.PROCESS,
    heartbeatMs: 250,
    ...opts,
  });
  mesh.cleanup(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGCONT");
    await killChild(proc);
  });
  return proc;
}

/** Spread into collector()'s init: the library's own heartbeat and advert TTL. */
export const LIBRARY_TIMING = { heartbeatMs: undefined, ttlMs: undefined } as const;
