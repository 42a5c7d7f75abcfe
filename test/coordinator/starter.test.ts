/**
 * Starting submissions with the pure parts (no server, no timers): a fan-out's parts go to the
 * dispatcher at most `dispatchBatch` per turn of the event loop, and the whole costs linear work.
 */
import { describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { ManualClock } from "../../src/clock.js";
import { createParts } from "../../src/coordinator/parts.js";
import { parseCoordinatorOptions } from "../../src/coordinator/options.js";
import { Dispatcher } from "../../src/coordinator/dispatcher.js";
import { Attempts } from "../../src/coordinator/attempts.js";
import { SubmissionStarter } from "../../src/coordinator/starter.js";
import { noopMetrics } from "../../src/coordinator/metrics.js";
import { planSubmit } from "../../src/coordinator/submit-plan.js";
import { StoppedError } from "../../src/errors.js";
import { SourceCaps } from "../../subjects/index.js";
import { advert } from "../router/fixtures.js";

const PROC = SourceCaps.PROCESS;

function setup(fleet: number, batch: number) {
  const clock = new ManualClock();
  // The pure parts only: no connection is ever used.
  const o = parseCoordinatorOptions({ nc: {} as NatsConnection, id: "c1", clock });
  const p = createParts(o);
  const sent: string[] = [];
  const dispatcher = new Dispatcher(p, {
    send: (_entry, _task, collectorId) => void sent.push(collectorId),
    unplaceable: () => undefined,
    ownerGone: () => undefined,
  });
  const attempts = new Attempts(
    { ...p, dispatcher },
    {
      changed: () => undefined,
      failover: () => undefined,
      cancel: () => undefined,
      resent: () => undefined,
      rejected: () => undefined,
    },
  );
  const later: (() => void)[] = [];
  const starter = new SubmissionStarter(p, dispatcher, attempts, {
    metrics: noopMetrics,
    maxQueued: 1_000_000,
    dispatchBatch: batch,
    idle: () => undefined,
    defer: (fn) => void later.push(fn),
  });
  const ids = Array.from({ length: fleet }, (_, i) => `c${String(i).padStart(5, "0")}`);
  for (const id of ids) p.router.upsert(advert(id, PROC, { maxConcurrency: 4 }));
  /** Runs the turns deferred so far; returns how many ran. */
  const turn = () => {
    const now = later.splice(0);
    for (const fn of now) fn();
    return now.length;
  };
  const plan = (mode: "one" | "all") =>
    planSubmit({ requiredCapabilities: PROC }, { mode }, 30_000);
  return { p, sent, starter, turn, ids, plan };
}

describe("coordinator - submission starter", () => {
  it("coordinator - a fan-out's parts go out at most dispatchBatch per turn, every one to its own instance", () => {
    const { p, sent, starter, turn, ids, plan } = setup(1000, 256);
    const id = starter.start(plan("all"), { owners: p.balancer.routable(PROC) });
    expect(sent).toHaveLength(256); // the first batch at once
    expect(starter.waiting).toBe(744);
    const perTurn: number[] = [];
    while (turn() > 0) perTurn.push(sent.length);
    expect(perTurn).toEqual([512, 768, 1000]);
    expect([...sent].sort()).toEqual(ids); // one part per instance, none twice
    expect(starter.waiting).toBe(0);
    expect(p.aggregator.getProgress(id)).toEqual({ received: 0, expected: 1000 });
  });

  it("coordinator - a `one` submit goes at once while a fan-out is still being handed out", () => {
    const { p, sent, starter, turn, plan } = setup(600, 100);
    starter.start(plan("all"), { owners: p.balancer.routable(PROC) });
    expect(sent).toHaveLength(100);
    starter.start(plan("one"));
    expect(sent).toHaveLength(101);
    while (turn() > 0);
    expect(sent).toHaveLength(601);
  });

  it("coordinator - a fan-out that ends while it is handed out sends no more parts", () => {
    const { p, sent, starter, turn, plan } = setup(1000, 256);
    const id = starter.start(plan("all"), { owners: p.balancer.routable(PROC) });
    turn();
    expect(sent).toHaveLength(512);
    p.aggregator.fail(id, new StoppedError("test"));
    while (turn() > 0);
    expect(sent).toHaveLength(512);
    expect(starter.waiting).toBe(0);
  });

  it("coordinator - fan-outs wait their turn in the order they came", () => {
    const { p, sent, starter, turn, plan } = setup(300, 200);
    const owners = p.balancer.routable(PROC);
    starter.start(plan("all"), { owners: owners.slice(0, 250) });
    starter.start(plan("all"), { owners: owners.slice(250) });
    expect(sent).toHaveLength(200);
    turn();
    // The rest of the first (50), then the second (50).
    expect(sent.slice(200, 250)).toEqual(owners.slice(200, 250));
    expect(sent).toHaveLength(300);
  });
});
