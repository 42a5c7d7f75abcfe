import type { NatsConnection } from "@nats-io/nats-core";
import { encode } from "../codec.js";
import { NoCapableCollectorError, StoppedError } from "../errors.js";
import { FailoverEvent, Subjects, formatCaps } from "../../subjects/index.js";
import type { AggregatedResult, Result, StatsReply, StatusReply } from "../../subjects/index.js";
import { RouterWatcher, type CapabilityRouter, type RouterChange } from "../router/index.js";
import type { LoadBalancer } from "../balancer/index.js";
import { TaskPublisher, type TaskDistributor } from "../distributor/index.js";
import { ResultInbox, type ResultAggregator } from "../aggregator/index.js";
import type { MeshIterator } from "../structures/iterator.js";
import { context, type Context } from "../telemetry/tracing.js";
import { LogOnce } from "../telemetry/log-once.js";
import { parseCoordinatorOptions, type CoordinatorInit } from "./options.js";
import type { CoordinatorOptions } from "./options.js";
import { CoordinatorService } from "./service.js";
import type { TaskEntry } from "./ledger.js";
import { Liveness } from "./liveness.js";
import { Dispatcher } from "./dispatcher.js";
import { Attempts, gone } from "./attempts.js";
import { createParts, type CoreParts } from "./parts.js";
import { planSubmit } from "./submit-plan.js";
import { SubmissionStarter } from "./starter.js";
import { DurableRuns } from "./durable.js";
import { MeshClient } from "../client/mesh-client.js";
import { parseDurableOptions } from "../durable/options.js";
import { QueuedIterator } from "../structures/iterator.js";
import { coordinatorStats, coordinatorStatus } from "./report.js";
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
  readonly #durable: DurableRuns;
  /** Set once the durable streams are bound: library submits go through them. */
  #client: MeshClient | undefined;
  readonly #publisher: TaskPublisher;
  readonly #watcher: RouterWatcher;
  readonly #inbox: ResultInbox;
  readonly #liveness: Liveness;
  readonly #service: CoordinatorService | undefined;
  readonly #resultPrefix: string;
  readonly #logOnce = new LogOnce();
  readonly #listeners = new Set<(e: CoordinatorEvent) => void>();
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
    this.#resultPrefix = this.subjects.resultPrefix(o.id);
    this.#dispatcher = new Dispatcher(p, {
      send: (entry, task, collectorId) => this.#send(entry, task, collectorId),
      unplaceable: (entry, err) => this.#attempts.endWithError(entry, err),
      ownerGone: (entry, why) => this.#attempts.failed(entry, entry.owner as string, gone(why)),
    });
    this.#attempts = new Attempts(
      { ...p, dispatcher: this.#dispatcher },
      {
        changed: (change) => this.#watcher.publishChange(change),
        failover: (event) => this.#failover(event),
        rejected: (taskId, why) =>
          this.#warnOnce(`reject:${taskId}`, "answer fits no attempt", why),
      },
    );
    this.#starter = new SubmissionStarter(p, this.#dispatcher, this.#attempts, {
      metrics: o.metrics,
      maxQueued: o.maxQueued,
      dispatchBatch: o.dispatchBatch,
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
    this.#publisher = new TaskPublisher(o.nc, { prefix });
    // Its sweep runs on this coordinator's timer (sweepIntervalMs 0 starts none of its own), and
    // only forgets: staleness is the failure detector's to judge (marksStale false).
    this.#watcher = new RouterWatcher(o.nc, p.router, {
      prefix,
      ttlMs,
      logger,
      sweepIntervalMs: 0,
      marksStale: false,
    });
    this.#liveness = new Liveness(
      o.nc,
      this.subjects,
      p,
      {
        failInstance: (v) => this.#attempts.failInstance(v),
        warnOnce: (key, msg, detail) => this.#warnOnce(key, msg, detail),
        stopped: () => this.#state === "stopped",
      },
      { probeTimeoutMs: o.probeTimeoutMs, sweepIntervalMs: o.sweepIntervalMs, logger },
    );
    this.#inbox = new ResultInbox(o.nc, {
      prefix,
      coordinatorId: o.id,
      onResult: (r, attempt) => this.#attempts.result(r, attempt),
      onNoResponders: (taskId, attempt) => this.#onNoResponders(taskId, attempt),
      onErrorReply: (taskId, attempt, err) => this.#attempts.errorReply(taskId, attempt, err),
      onInvalid: (err) => this.#warnOnce(`invalid:${err.subject}`, "invalid result", err.message),
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
    await this.#startDurable();
    await this.#service?.start();
    this.#timer = setInterval(() => this.#sweep(), this.opts.sweepIntervalMs);
    this.#timer.unref();
    void this.#liveness.follow();
    await this.#nc.flush();
    if (this.#state === "starting") this.#state = "ready";
    this.opts.logger.info(
      { coordinatorId: this.id, prefix: this.opts.prefix },
      "coordinator started",
    );
  }

  /** Durable when asked, or when the server has JetStream and nobody said otherwise. */
  async #startDurable(): Promise<void> {
    const o = this.opts;
    if (o.durable === false) return;
    try {
      await this.#durable.start();
    } catch (err) {
      if (o.durable === true) throw err;
      o.logger.info({ err: String(err) }, "no JetStream for durable coordination: in memory only");
      return;
    }
    const { prefix, owner, logger, defaultTimeoutMs } = o;
    this.#client = new MeshClient(o.nc, { prefix, owner, logger, defaultTimeoutMs, durable: true });
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
    await this.#client?.close();
    this.aggregator.failAll(new StoppedError(`coordinator ${this.id}`));
    this.#p.ledger.clear();
    this.#p.flights.clear();
    this.#starter.clear();
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
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Submits a task and resolves with the aggregated result (never rejects for task failures). */
  async submit(spec: TaskSpec, opts: SubmitOptions = {}): Promise<AggregatedResult> {
    const client = this.#durableFor(spec, opts);
    if (client) return client.submit(spec, opts);
    return this.aggregator.whenComplete(this.#begin(spec, opts));
  }

  /** Submits a task and yields each distinct result as it arrives. */
  submitStream(spec: TaskSpec, opts: SubmitOptions = {}): MeshIterator<Result> {
    const client = this.#durableFor(spec, opts);
    if (!client) return this.aggregator.stream(this.#begin(spec, opts));
    const q = new QueuedIterator<Result>();
    void client
      .submitStream(spec, opts)
      .then(async (it) => {
        for await (const r of it) q.push(r);
        q.stop();
      })
      .catch((err: unknown) => q.stop(err instanceof Error ? err : new Error(String(err))));
    return q;
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
        this.#warnOnce(`nocap:${required}`, "no capable collector", formatCaps(required));
        this.#emit({ kind: "no-capable-collector", required });
      }
      throw err;
    }
  }

  /** The dispatcher's send: the attempt is in flight from now, to the coordinator's result inbox. */
  #send(entry: TaskEntry, task: TaskEntry["task"], collectorId: string): void {
    const now = this.opts.clock.now();
    const flight = this.#p.flights.start(task, collectorId, now);
    this.#p.detector.working(collectorId, now);
    this.distributor.recordDispatched(task);
    this.opts.metrics.dispatched(task.priority, now - task.createdAt);
    // `subjects.result(id, taskId, attempt)`, from a prefix built once.
    const reply = `${this.#resultPrefix}${task.taskId}.${task.attempt}`;
    const how = { collectorId, reply, spanName: "dispatch" };
    const ctx = entry.submission.ctx as Context | undefined;
    try {
      if (ctx === undefined) this.#publisher.distributeTask(task, how);
      else context.with(ctx, () => this.#publisher.distributeTask(task, how));
    } catch (err) {
      this.#p.flights.drop(flight);
      throw err;
    }
  }

  /** A 503 for an attempt in flight: probed before anything fails over, since anyone can send one. */
  #onNoResponders(taskId: string, attempt: number | undefined): void {
    const f = this.#attempts.match(taskId, attempt);
    if (!f) return;
    this.#p.counters.noResponders++;
    this.#liveness.noResponders(f.collectorId, this.opts.clock.now());
  }

  #onRouterChange(c: RouterChange): void {
    if (c.kind !== "stale" && c.kind !== "left") {
      this.#dispatcher.freed(c.id);
      return;
    }
    if (this.#state !== "stopped") {
      // A deleted advert (a graceful stop) is the collector's own word; a watcher that marks
      // stale itself has judged already.
      const v =
        c.kind === "left"
          ? this.#p.detector.left(c.id)
          : { id: c.id, reason: c.reason ?? "heartbeat stale" };
      this.#attempts.failInstance(v);
    }
    if (c.kind === "left") {
      this.balancer.forget(c.id);
      this.#p.detector.forget(c.id);
    }
  }

  #failover(event: FailoverEvent): void {
    const { failedCollectorId: failed, failoverTargetId: target, reason } = event;
    this.opts.logger.warn({ failed, target, tasks: event.taskIds.length, reason }, "failover");
    try {
      this.#nc.publish(this.subjects.failoverEvent(), encode(FailoverEvent, event));
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, "failover event not published");
    }
    this.#emit({ kind: "failover", event });
  }

  /**
   * The one timer: queued and attempt deadlines, the router's forgetting, aggregations, probes.
   * A sweep that follows a stall of the event loop judges nothing: what arrived meanwhile is read
   * first (attempt deadlines have moved by the stall).
   */
  #sweep(): void {
    const now = this.opts.clock.now();
    const stalled = this.#liveness.stalled(now);
    if (!stalled) {
      for (const t of this.distributor.sweep()) this.#p.ledger.end(t.taskId);
      // While NATS is disconnected no answer can arrive: attempts wait (deadlines move on reconnect).
      if (!this.#p.detector.disconnected) {
        for (const f of this.#p.flights.expire(now)) this.#attempts.expired(f, now);
      }
    }
    if (now - this.#lastRouterSweep >= this.opts.routerSweepMs) {
      this.#lastRouterSweep = now;
      this.#watcher.sweep();
    }
    if (!stalled) {
      this.aggregator.sweep(); // ended aggregations resolve whenComplete, closing their submissions
      this.#liveness.sweep(now);
    }
    this.#durable.keepAlive(now);
    this.#dispatcher.pump();
  }

  #emit(e: CoordinatorEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch (err) {
        this.opts.logger.warn({ err: String(err) }, "listener threw");
      }
    }
  }

  #warnOnce(key: string, msg: string, detail: string | undefined): void {
    const once = this.#logOnce.check(key);
    if (once.log) this.opts.logger.warn({ detail, suppressed: once.suppressed }, msg);
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
    const counters = this.#p.counters.snapshot(this.#p.detector.stats());
    return coordinatorStats(
      this,
      this.#watcher,
      counters,
      this.#p.flights.size,
      this.#p.ledger.size,
    );
  }
}
