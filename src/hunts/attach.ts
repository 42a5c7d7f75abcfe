import type { NatsConnection } from "@nats-io/nats-core";
import type { Clock } from "../clock.js";
import type { Logger } from "../telemetry/logger.js";
import type { CapabilityRouter } from "../router/index.js";
import { ErrorCode, MeshError } from "../errors.js";
import { Subjects, type AggregatedResult, type TaskPriority } from "../../subjects/index.js";
import { HuntRunner } from "./runner.js";
import type { HuntRunnerOptions } from "./options.js";
import type { PartOutcome, PartPort } from "./types.js";

/** What the hunt runner needs of a coordinator. */
export interface HuntHost {
  readonly id: string;
  readonly router: Pick<CapabilityRouter, "follow" | "list">;
  submit(
    spec: { requiredCapabilities: number; payload?: unknown },
    opts: {
      mode: "all";
      collectors: string[];
      durable: false;
      timeoutMs: number;
      priority: TaskPriority;
      signal: AbortSignal;
    },
  ): Promise<AggregatedResult>;
}

export interface HuntHostOptions {
  prefix: string;
  clock: Clock;
  logger: Logger;
  hunts: Partial<HuntRunnerOptions> | false;
}

/**
 * Starts the hunt runner of a coordinator: parts are in-memory fan-outs of one (the collector's
 * id as the only target, so a part never fails over to another host). Undefined when hunts are
 * off or the server has no JetStream.
 */
export async function startHunts(
  host: HuntHost,
  nc: NatsConnection,
  leader: () => boolean,
  o: HuntHostOptions,
): Promise<HuntRunner | undefined> {
  if (o.hunts === false) return undefined;
  const port: PartPort = {
    run: (collectorId, h, signal) =>
      host
        .submit(
          { requiredCapabilities: h.requiredCapabilities, payload: h.payload },
          {
            mode: "all",
            collectors: [collectorId],
            durable: false,
            timeoutMs: h.timeoutMs,
            priority: h.priority,
            signal,
          },
        )
        .then((r) => outcomeOf(r, collectorId))
        .catch((err: unknown) => thrownOutcome(err)),
  };
  const runner = new HuntRunner(
    {
      ...{ nc, subjects: new Subjects(o.prefix), coordinatorId: host.id },
      ...{ clock: o.clock, logger: o.logger, leader, router: host.router, port },
    },
    o.hunts,
  );
  try {
    await runner.start();
  } catch (err) {
    await runner.stop();
    o.logger.info({ err: String(err) }, "no hunt buckets (no JetStream?): hunts off");
    return undefined;
  }
  return runner;
}

/** A part's outcome from its fan-out of one: the instance's state, else the verdict. */
export function outcomeOf(r: AggregatedResult, collectorId: string): PartOutcome {
  const results = r.results.filter((x) => x.collectorId === collectorId);
  const inst = r.instances?.find((i) => i.collectorId === collectorId);
  const code = inst?.code ?? r.error?.code;
  const withCode = code !== undefined ? { code } : {};
  switch (inst?.state) {
    case "ok":
      return { state: "ok", results };
    case "error":
      return { state: "error", results, ...withCode };
    case "timed_out":
      return { state: "timed_out", results, ...withCode };
    case "lost":
      return { state: "lost", results, ...withCode };
    case "not_reached":
      return { state: "lost", results, ...withCode, notReached: true };
    case "cancelled":
      return { state: "cancelled", results, ...withCode };
    default:
      break;
  }
  if (r.status === "cancelled") return { state: "cancelled", results };
  if (r.status === "timed_out" && results.length === 0) return { state: "timed_out", results };
  const failed = results.find((x) => x.status === "error");
  if (r.status === "complete" && failed === undefined && results.length > 0) {
    return { state: "ok", results };
  }
  const c = failed?.error?.code ?? code;
  return { state: "error", results, ...(c !== undefined ? { code: c } : {}) };
}

function thrownOutcome(err: unknown): PartOutcome {
  const e = MeshError.from(err);
  // The collector is gone from routing (left, or stale) by the time the part went out.
  if (e.code === ErrorCode.NoCapableCollector) {
    return { state: "lost", code: e.code, results: [], notReached: true };
  }
  if (e.code === ErrorCode.Cancelled) return { state: "cancelled", code: e.code, results: [] };
  return { state: "error", code: e.code, results: [] };
}
