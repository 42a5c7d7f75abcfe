import type { NatsConnection } from "@nats-io/nats-core";
import { Collector } from "../../src/collector/index.js";
import { Coordinator } from "../../src/coordinator/index.js";
import type { HuntClaim } from "../../subjects/index.js";
import type { HuntView, Hunts } from "../../src/hunts/client.js";
import { SourceCaps } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";

/** In-process collectors that count how often each id ran a task (across restarts). */
export class Fleet {
  readonly runs = new Map<string, number>();
  readonly #live = new Map<string, Collector>();
  readonly #connect: () => Promise<NatsConnection>;

  constructor(connect: () => Promise<NatsConnection>) {
    this.#connect = connect;
  }

  /** Starts (or restarts: a new incarnation) collector `id`; `fail` makes its handler throw. */
  async start(id: string, opts: { fail?: boolean; labels?: Record<string, string> } = {}) {
    const c = new Collector({
      id,
      type: "procmond",
      capabilities: SourceCaps.PROCESS,
      heartbeatMs: 200,
      ttlMs: 1500,
      labels: opts.labels ?? {},
      handler: (payload) => {
        this.runs.set(id, (this.runs.get(id) ?? 0) + 1);
        if (opts.fail) throw new Error(`${id} fails on purpose`);
        return { echo: payload, by: id };
      },
    });
    await c.start(await this.#connect());
    this.#live.set(id, c);
    return c;
  }

  async stop(id: string): Promise<void> {
    await this.#live.get(id)?.stop();
    this.#live.delete(id);
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.#live.keys()]) await this.stop(id);
  }

  /** Ids that ran more than once. */
  twice(): string[] {
    return [...this.runs].filter(([, n]) => n > 1).map(([id]) => id);
  }
}

export async function startCoordinator(nc: NatsConnection, id = "coord-h1"): Promise<Coordinator> {
  const c = new Coordinator({
    nc,
    id,
    advertTtlMs: 1500,
    hunts: { tickMs: 50, judgeGraceMs: 500, matchedEveryMs: 100 },
  });
  await c.start();
  return c;
}

/** Claims of a hunt by collector id. */
export async function claims(hunts: Hunts, huntId: string): Promise<Map<string, HuntClaim>> {
  const v = await hunts.show(huntId);
  return new Map(v.parts.map((p) => [p.collectorId, p]));
}

/** True once every id has a claim in one of `states`. */
export async function settled(
  hunts: Hunts,
  huntId: string,
  ids: readonly string[],
  states: readonly HuntClaim["state"][] = ["ok"],
): Promise<boolean> {
  const m = await claims(hunts, huntId);
  return ids.every((id) => {
    const s = m.get(id)?.state;
    return s !== undefined && states.includes(s);
  });
}

/** The hunt's view once it has paused itself; fails after `ms`. */
export function untilPaused(hunts: Hunts, huntId: string, ms = 10_000): Promise<HuntView> {
  return until(
    async () => {
      const v = await hunts.show(huntId);
      return v.record.state === "paused" ? v : undefined;
    },
    ms,
    "the hunt paused",
  );
}
