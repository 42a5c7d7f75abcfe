/**
 * The coordinated-path suites' fixture: a mesh shared by a file's tests, a prefix of its own for
 * each test (its bucket and subjects its own), and coordinators and collectors on it with a short
 * advert TTL.
 */
import type { Coordinator } from "../../src/coordinator/index.js";
import type { Collector, CollectorInit, TaskHandler } from "../../src/collector/index.js";
import { SourceCaps } from "../../subjects/index.js";
import { useMesh, type MeshFixture, type TestCoordinatorInit } from "./mesh-fixture.js";

export const PROC = SourceCaps.PROCESS | SourceCaps.REALTIME;
export const NET = SourceCaps.NETWORK;
const TTL_MS = 1500;

export interface Coordination {
  mesh: MeshFixture;
  prefix: () => string;
  coordinator: (p: string, opts?: TestCoordinatorInit) => Promise<Coordinator>;
  collector: (
    p: string,
    id: string,
    caps: number,
    handler: TaskHandler,
    extra?: Partial<CollectorInit>,
  ) => Promise<{ c: Collector }>;
}

/** Registers the file's mesh hooks; call once at the top of a test file. */
export function useCoordination(): Coordination {
  let seq = 0;
  const mesh = useMesh();
  return {
    mesh,
    prefix: () => `t${++seq}_${Date.now().toString(36)}`,
    coordinator: (p, opts = {}) => mesh.coordinator({ prefix: p, advertTtlMs: TTL_MS, ...opts }),
    collector: async (p, id, caps, handler, extra = {}) => ({
      c: await mesh.collector({
        id,
        capabilities: caps,
        handler,
        prefix: p,
        ttlMs: TTL_MS,
        ...extra,
      }),
    }),
  };
}

/** Answers `{ echo: payload, by: id }`, after `delayMs`. */
export const echo =
  (id: string, delayMs = 0): TaskHandler =>
  async (payload) => {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return { echo: payload, by: id };
  };
