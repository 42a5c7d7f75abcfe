import type { NatsConnection } from "@nats-io/nats-core";
import { NoCapableCollectorError, StoppedError } from "../errors.js";
import { Subjects, formatCaps } from "../../subjects/index.js";
import type { AggregatedResult, Result, StatsReply, StatusReply } from "../../subjects/index.js";
import { RouterWatcher, type CapabilityRouter, type RouterChange } from "../router/index.js";
import type { LoadBalancer } from "../balancer/index.js";
import type { TaskDistributor } from "../distributor/index.js";
import { ResultInbox, type ResultAggregator } from "../aggregator/index.js";
import type { MeshIterator } from "../structures/iterator.js";
import { parseCoordinatorOptions, type CoordinatorInit } from "./options.js";
import type { CoordinatorOptions } from "./options.js";
import { CoordinatorService } from "./service.js";
import { Dispatcher } from "./dispatcher.js";
import { Attempts, gone } from "./attempts.js";
import { createParts, type CoreParts } from "./parts.js";
import { planSubmit } from "./submit-plan.js";
import { SubmissionStarter } from "./starter.js";
import { DurableRuns } from "./durable.js";
import { TaskSender } from "./sender.js";
import { LeaderLease } from "./leader.js";
import { CoordinatorEvents } from "./events.js";
import { clusterReplicas } from "../durable/streams.js";
import type { MeshClient } from "../client/mesh-client.js";
import { parseDurableOptions } from "../durable/options.js";
import { followHandle } from "../client/follow.js";
import type { SubmissionHandle } from "../client/types.js";
import { coordinatorStats, coordinatorStatus } from "./report.js";
import { Prober } from "./probe.js";
import { ResultVerifier } from "./verify.js";
import type { CoordinatorApi, CoordinatorEvent, CoordinatorCounters } from "./types.js";
import type { SubmitOptions, TaskSpec } from "./types.js";

/**
 * Wires the pure parts to NATS. The router and balancer choose instances and the dispatcher sends
 * to them; the ledger keeps submissions and decides what a failed attempt becomes; the flight
 * table matches every answer to the attempt it claims to answer; the failure detector decides
 * when an instance is gone; the aggregator hands back results. One sweep timer drives every
 * deadline.
 */
export class Coordinator implements CoordinatorApi {
  readonly opts: CoordinatorOptions;
  readonly subjects: Subjects;
  readonly router: CapabilityRouter;
  readonly balancer: LoadBalancer;
  readonly distributor: TaskDistributor;
  readonly aggregator: ResultAggregator;
  readonly #nc: NatsConnection;
  readonly #p: CoreParts;
  readonly #dispatcher: Dispatcher;
  readonly #attempts: Attempts;
  readonly #starter: SubmissionStarter;
  readonly #verifier: ResultVerifier;
  /** Probes of direct subjects: an answer proves an instance alive (probe.ts). */
  readonly #prober: Prober;
  readonly #durable: DurableRuns;
  /** Set once the durable streams are bound: library submits go through them. */
  #client: MeshClient | undefined;
  readonly #watcher: RouterWatcher;
  readonly #inbox: ResultInbox;
  readonly #service: CoordinatorService | undefined;
  readonly #lease: LeaderLease;
  readonly #events: CoordinatorEvents;
  #timer: NodeJS.Timeout | undefined;
  #lastRouterSweep = 0;
  #state: "new" | "starting" | "ready" | "stopped" = "new";
  #idle: (() => void) | undefined;

  constructor(init: CoordinatorInit) {
    const o = (this.opts = parseCoordinatorOptions(init));
    const p = (this.#p = createParts(o));
    ({ router: this.router, balancer: this.balancer, distributor: this.distributor } = p);
    this.aggregator = p.aggregator;
    this.#nc = o.nc;
    this.subjects = new Subjects(o.prefix);
    this.#lease = new LeaderLease(o.nc, o.prefix, o.id, o.logger);
    this.#events = new CoordinatorEvents(o.nc, this.subjects, o.id, o.logger, this.#lease);
    const sender = new TaskSender(o.nc, this.subjects, p, o.metrics);
    this.#dispatcher = new Dispatcher(p, {
      send: (entry, task, collectorId) => sender.send(entry, task, collectorId),
      unplaceable: (entry, err) => this.#attempts.endWithError(entry, err),
      ownerGone: (entry, why) => this.#attempts.failed(entry, entry.owner as string, gone(why)),
    });
    this.#attempts = new Attempts(
      { ...p, dispatcher: this.#dispatcher },
      {
        changed: (change) => this.#watcher.publishChange(change),
        failover: (event, moved) => this.#events.failover(event, moved),
        rejected: (taskId, why) =>
          this.#events.warnOnce(`reject:${taskId}`, "answer fits no attempt", why),
      },
    );
    const warn = (key: string, msg: string, detail: string) =>
      this.#events.warnOnce(key, msg, detail);
    this.#verifier = new ResultVerifier({
      ...{ verify: o.verify, counters: p.counters },
      keyOf: (id) => this.router.get(id)?.advert.signingKey,
      rejected: (taskId, why) => warn(`unsigned:${why}`, "result dropped", taskId),
    });
    this.#prober = new Prober({
      ...{ nc: o.nc, subjects: this.subjects, detector: p.detector },
      times: { timeoutMs: o.probeTimeoutMs, confirmMs: o.probeConfirmMs },
      stopped: () => this.#state === "stopped",
      gone: (v) => this.#attempts.failInstance(v),
      forged: (id) => warn(`forged503:${id}`, "no-responders for a live collector ignored", id),
    });
    this.#starter = new SubmissionStarter(p, this.#dispatcher, this.#attempts, {
      metrics: o.metrics,
      maxQueued: o.maxQueued,
      idle: () => this.#idle?.(),
    });
    this.#durable = new DurableRuns(o.nc, this.subjects, parseDurableOptions(o.durability), {
      coordinatorId: o.id,
      aggregator: p.aggregator,
      logger: o.logger,
      now: () => o.clock.now(),
      targets: (required) => this.#targets(required, true) ?? [],
      start: (plan, spec) => this.#starter.start(plan, spec),
    });
    const { prefix, advertTtlMs: ttlMs, logger } = o;
    // Its stale sweep runs on this coordinator's timer: sweepIntervalMs 0 starts none of its own.
    this.#watcher = new RouterWatcher(o.nc, p.router, {
      prefix,
      ttlMs,
      logger,
      sweepIntervalMs: 0,
      // Only the mesh's leader publishes collector events, naming itself.
      publishEvents: () => this.#lease.leader,
      observedBy: o.id,
      refuse: (advert) => this.#verifier.refuseAdvert(advert),
    });
    this.#inbox = new ResultInbox(o.nc, {
      prefix,
      coordinatorId: o.id,
      onResult: (r, attempt, msg) =>
        this.#attempts.result(r, attempt, (f) => this.#verifier.acceptResult(f, r, msg)),
      onNoResponders: (taskId, attempt) => this.#onNoResponders(taskId, attempt),
      onErrorReply: (taskId, attempt, err) =>
        this.#attempts.errorReply(taskId, attempt, err, (f) => this.#verifier.acceptErrorReply(f)),
      onInvalid: (err) =>
        this.#events.warnOnce(`invalid:${err.subject}`, "invalid result", err.message),
    });
    this.#service = o.serviceApi ? new CoordinatorService(this, o.nc) : undefined;
  }

  get id(): string {
    return this.opts.id;
  }

  /** Binds the advert bucket and loads the adverts in it, subscribes, starts the sweep and the api. */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "starting";
    this.#inbox.start();
    this.#watcher.onChange((c) => this.#onRouterChange(c));
    await this.#watcher.start();
    // Verifying, its client checks stored records too (another coordinator may own them).
    const signingKeys = (id: string) => this.router.get(id)?.advert.signingKey;
    this.#client = await this.#durable.startIfWanted(this.opts, signingKeys);
    await this.#lease.start(this.#durable.streams?.replicas ?? clusterReplicas(this.#nc));
    await this.#service?.start();
    this.#timer = setInterval(() => this.#sweep(), this.opts.sweepIntervalMs);
    this.#timer.unref();
    void this.#prober.followConnection(this.opts.clock, this.#p.flights, this.opts.logger);
    await this.#nc.flush();
    if (this.#state === "starting") this.#state = "ready";
    this.opts.logger.info(
      { coordinatorId: this.id, prefix: this.opts.prefix },
      "coordinator started",
    );
  }

  /** True when submits are durable unless they say otherwise. */
  get durable(): boolean {
    return this.#client !== undefined;
  }

  /** Stops taking submits, waits up to `graceMs` for work in flight, then ends the rest (STOPPED). */
  async stop(graceMs = 0): Promise<void> {
    if (this.#state === "stopped") return;
    this.#state = "stopped";
    await this.#service?.stop();
    if (this.#p.ledger.size > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, graceMs)));
      await Promise.race([new Promise<void>((r) => (this.#idle = r)), grace]);
      clearTimeout(timer);
    }
    clearInterval(this.#timer);
    await this.#durable.stop();
    await this.#lease.stop();
    await this.#client?.close();
    this.aggregator.failAll(new StoppedError(`coordinator ${this.id}`));
    this.#p.ledger.clear();
    this.#p.flights.clear();
    this.#dispatcher.clear();
    await this.#watcher.stop();
    await this.#inbox.stop();
    this.opts.logger.info({ coordinatorId: this.id }, "coordinator stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Follows failovers and capability misses, for operators and tests. */
  onEvent(fn: (e: CoordinatorEvent) => void): () => void {
    return this.#events.listen(fn);
  }

  /** Submits a task and resolves with the aggregated result (never rejects for task failures). */
  async submit(spec: TaskSpec, opts: SubmitOptions = {}): Promise<AggregatedResult> {
    const client = this.#durableFor(spec, opts);
    if (client) return client.submit(spec, opts);
    return this.aggregator.whenComplete(this.#begin(spec, opts));
  }

  /** Submits a task and yields each distinct result as it arrives. */
  submitStream(spec: TaskSpec, opts: SubmitOptions = {}): MeshIterator<Result> {
    return this.track(spec, opts).results;
  }

  /** Submits a task: its results as they arrive, and its verdict. */
  track(spec: TaskSpec, opts: SubmitOptions = {}): Omit<SubmissionHandle, "correlationId"> {
    const client = this.#durableFor(spec, opts);
    if (!client) {
      const id = this.#begin(spec, opts);
      return { results: this.aggregator.stream(id), done: this.aggregator.whenComplete(id) };
    }
    return followHandle(client.track(spec, opts));
  }

  /**
   * The client a durable submit goes through, or undefined for the in-memory path. A capability
   * nobody advertises fails here at once, as it does in memory.
   */
  #durableFor(spec: TaskSpec, opts: SubmitOptions): MeshClient | undefined {
    if (this.#state !== "ready") throw new StoppedError(`coordinator ${this.id}`);
    if (opts.durable === false || this.#client === undefined) return undefined;
    this.#targets(planSubmit(spec, opts, this.opts.defaultTimeoutMs).required, false);
    return this.#client;
  }

  #begin(spec: TaskSpec, opts: SubmitOptions): string {
    if (this.#state !== "ready") throw new StoppedError(`coordinator ${this.id}`);
    const plan = planSubmit(spec, opts, this.opts.defaultTimeoutMs);
    const owners = this.#targets(plan.required, plan.mode === "all");
    return this.#starter.start(plan, { owners });
  }

  #targets(required: number, all: boolean): string[] | undefined {
    try {
      return this.#dispatcher.targets(required, all);
    } catch (err) {
      if (err instanceof NoCapableCollectorError) {
        this.#p.counters.noCapable++;
        this.#events.warnOnce(`nocap:${required}`, "no capable collector", formatCaps(required));
        this.#events.emit({ kind: "no-capable-collector", required });
      }
      throw err;
    }
  }

  /** A 503 for an attempt in flight: probed before anything fails over, since anyone can send one. */
  #onNoResponders(taskId: string, attempt: number | undefined): void {
    const f = this.#attempts.match(taskId, attempt);
    if (!f) return;
    this.#p.counters.noResponders++;
    const probe = this.#p.detector.noResponders(f.collectorId, this.opts.clock.now());
    if (probe !== undefined) this.#prober.probe(probe);
  }

  #onRouterChange(c: RouterChange): void {
    if (c.kind !== "stale" && c.kind !== "left") {
      this.#p.detector.alive(c.id);
      if (c.restarted === true) this.#attempts.restarted(c.id);
      this.#dispatcher.freed(c.id);
      return;
    }
    const verdict = this.#p.detector.stale(c.id, c.kind, this.opts.clock.now());
    if (verdict && this.#state !== "stopped") this.#attempts.failInstance(verdict);
    if (c.kind === "left") {
      this.balancer.forget(c.id);
      this.#p.detector.forget(c.id);
    }
  }

  /** The one timer: queued and attempt deadlines, the router's stale sweep, aggregations, probes. */
  #sweep(): void {
    const now = this.opts.clock.now();
    for (const t of this.distributor.sweep()) this.#p.ledger.end(t.taskId);
    // While NATS is disconnected no answer can arrive: attempts wait (deadlines move on reconnect).
    if (!this.#p.detector.disconnected) {
      for (const f of this.#p.flights.expire(now)) this.#attempts.expired(f, now);
    }
    if (now - this.#lastRouterSweep >= this.opts.routerSweepMs) {
      this.#lastRouterSweep = now;
      this.#watcher.sweep();
    }
    this.aggregator.sweep(); // ended aggregations resolve whenComplete, which closes their submissions
    const hasWork = (id: string) => this.#p.flights.hasWork(id);
    const stillStale = (id: string) => this.router.get(id)?.health !== "healthy";
    const { fail, probe } = this.#p.detector.sweep(
      now,
      this.router.suspects(),
      hasWork,
      stillStale,
    );
    for (const v of fail) this.#attempts.failInstance(v);
    for (const id of probe) this.#prober.probe(id);
    this.#durable.keepAlive(now);
    this.#lease.tick(now);
    this.#dispatcher.pump();
  }

  /** Messages that failed to decode or validate: results, adverts and api requests. */
  invalidMessages(): number {
    const service = this.#service?.invalidRequests ?? 0;
    return this.#inbox.stats().invalid + this.#watcher.stats().invalid + service;
  }

  /** Collectors with health, load and heartbeat age. */
  status(): StatusReply {
    return coordinatorStatus(this.id, this.router, this.balancer, this.opts.clock.now());
  }

  /** Every component's stats. */
  stats(): StatsReply & { coordinator: CoordinatorCounters & { inFlight: number; tasks: number } } {
    const counters = {
      ...this.#p.counters.snapshot(this.#p.detector.stats()),
      durable: this.#durable.stats(),
    };
    return coordinatorStats(
      this,
      this.#watcher,
      counters,
      this.#p.flights.size,
      this.#p.ledger.size,
    );
  }
}
