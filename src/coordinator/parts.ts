import type { Clock } from "../clock.js";
import { CapabilityRouter } from "../router/index.js";
import { LoadBalancer } from "../balancer/index.js";
import { TaskDistributor } from "../distributor/index.js";
import { ResultAggregator } from "../aggregator/index.js";
import { FlightTable } from "./flights.js";
import { TaskLedger } from "./ledger.js";
import { FailureDetector } from "./failure-detector.js";
import { Counters } from "./report.js";
import type { CoordinatorOptions } from "./options.js";

/** The coordinator's pure parts: no NATS, no timers, one injected clock and random source. */
export interface CoreParts {
  readonly coordinatorId: string;
  readonly clock: Clock;
  readonly router: CapabilityRouter;
  readonly balancer: LoadBalancer;
  readonly distributor: TaskDistributor;
  readonly aggregator: ResultAggregator;
  readonly ledger: TaskLedger;
  readonly flights: FlightTable;
  readonly detector: FailureDetector;
  readonly counters: Counters;
}

/** Makes every pure part from the coordinator's options (each takes its own defaults). */
export function createParts(o: CoordinatorOptions): CoreParts {
  const deps = { clock: o.clock, rng: o.rng };
  const { prefix, advertTtlMs, maxQueued, agingMs, defaultTimeoutMs } = o;
  const parts = {
    coordinatorId: o.id,
    clock: o.clock,
    router: new CapabilityRouter({ ...o.router, prefix, heartbeatTimeoutMs: advertTtlMs }, deps),
    balancer: new LoadBalancer(
      o.strategy === undefined ? o.balancer : { ...o.balancer, strategy: o.strategy },
      deps,
    ),
    distributor: new TaskDistributor({ maxQueued, agingMs, defaultTimeoutMs }, deps),
    aggregator: new ResultAggregator(o.aggregator, deps),
    ledger: new TaskLedger(o.maxAttempts),
    flights: new FlightTable(o.attemptTimeoutMs),
    detector: new FailureDetector({
      graceMs: advertTtlMs,
      probeCooldownMs: o.probeCooldownMs,
      staleAfterMs: advertTtlMs,
      panicThreshold: o.panicThreshold,
      lagToleranceMs: o.lagToleranceMs,
      silentAfterMs: o.silentAfterMs,
      // Backs off to one missed refresh: past it, the advert's age says as much.
      maxSilentAfterMs: Math.max(o.silentAfterMs, advertTtlMs / 2),
      maxProbesPerSweep: o.maxProbesPerSweep,
    }),
    counters: new Counters(),
  };
  // The router tells the balancer every change it applies, and every advert's load; an advert
  // is a sign of life for the failure detector.
  parts.router.follow((u) => {
    parts.balancer.apply(u);
    if (u.kind !== "stale" && u.kind !== "left") parts.detector.heard(u.id, o.clock.now());
  });
  return parts;
}
