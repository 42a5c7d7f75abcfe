import type { NatsConnection } from "@nats-io/nats-core";
import { ErrorCode, MeshError, NoCapableCollectorError, StoppedError } from "../errors.js";
import { Subjects } from "../../subjects/index.js";
import type {
  AggregatedResult,
  Result,
  StatsReply,
  StatusReply,
  StatusRequest,
} from "../../subjects/index.js";
import type { CapabilityRouter } from "../router/index.js";
import { RouterWatcher } from "../discovery/index.js";
import type { LoadBalancer } from "../balancer/index.js";
import type { TaskDistributor } from "../distributor/index.js";
import { ResultInbox, type ResultAggregator } from "../aggregator/index.js";
import type { MeshIterator } from "../structures/iterator.js";
import { parseCoordinatorOptions, type CoordinatorInit } from "./options.js";
import type { CoordinatorOptions } from "./options.js";
import { CoordinatorService } from "./service.js";
import { Liveness } from "./liveness.js";
import { notReached, type Targeting } from "./targeting.js";
import { Dispatcher } from "./dispatcher.js";
import { Attempts, gone } from "./attempts.js";
import type { Submission } from "./ledger.js";
import { CancelListener } from "./cancels.js";
import { createParts, type CoreParts } from "./parts.js";
import { cancelOnAbort, planSubmit } from "./submit-plan.js";
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
import { coordinatorStats } from "./report.js";
import { coordinatorStatus } from "./status-page.js";
import { ResultVerifier } from "./verify.js";
import type { CoordinatorApi, CoordinatorEvent, CoordinatorCounters } from "./types.js";
import type { SubmitOptions, TaskSpec } from "./types.js";
import { startHunts } from "../hunts/attach.js";
import type { HuntRunner } from "../hunts/runner.js";

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
  readonly #durable: DurableRuns;
  /** Set once the durable streams are bound: library submits go through them. */
  #client: MeshClient | undefined;
  readonly #watcher: RouterWatcher;
  readonly #inbox: ResultInbox;
  readonly #liveness: Liveness;
  readonly #service: CoordinatorService | undefined;
  readonly #lease: LeaderLease;
  readonly #cancels: CancelListener;
  readonly #events: CoordinatorEvents;
  #timer: NodeJS.Timeout | undefined;
  #hunts: HuntRunner | undefined;
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
    this.#events = new CoordinatorEvents({ ...o, subjects: this.subjects, lease: this.#lease });
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
        cancel: (id, taskId, attempt, why) => sender.cancel(id, taskId, attempt, why),
        resent: (f, why) => this.#events.resent(f, why),
        rejected: (taskId, why) =>
          // a line a minute per reason, whatever the task ids
          this.#events.warnOnce(`reject:${why}`, "answer fits no attempt", `${why}: ${taskId}`),
      },
    );
    this.#liveness = new Liveness({
      nc: o.nc,
      subjects: this.subjects,
      parts: p,
      port: {
        failInstance: (v) => this.#attempts.failInstance(v),
        restarted: (id) => this.#attempts.restarted(id),
        freed: (id) => this.#dispatcher.freed(id),
        forget: (id) => this.balancer.forget(id),
        warnOnce: (key, msg, detail) => this.#events.warnOnce(key, msg, detail ?? ""),
        stopped: () => this.#state === "stopped",
      },
      opts: {
        probe: { timeoutMs: o.probeTimeoutMs, confirmMs: o.probeConfirmMs },
        sweepIntervalMs: o.sweepIntervalMs,
        logger: o.logger,
      },
    });
    const warn = (key: string, msg: string, detail: string) =>
      this.#events.warnOnce(key, msg, detail);
    this.#verifier = new ResultVerifier({
      ...{ verify: o.verify, counters: p.counters },
      keyOf: (id) => this.router.get(id)?.advert.signingKey,
      rejected: (taskId, why) => warn(`unsigned:${why}`, "result dropped", taskId),
    });
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
      targets: (required, target) => this.#targets(required, true, target) ?? [],
      start: (plan, spec) => this.#starter.start(plan, spec),
    });
    const { prefix, advertTtlMs: ttlMs, logger } = o;
    // Its sweep runs on this coordinator's timer (sweepIntervalMs 0 starts none of its own), and
    // only forgets: staleness is the failure detector's to judge (marksStale false).
    this.#watcher = new RouterWatcher(o.nc, p.router, {
      prefix,
      ttlMs,
      logger,
      sweepIntervalMs: 0,
      // Only the mesh's leader publishes collector events, naming itself.
      publishEvents: () => this.#lease.leader,
      observedBy: o.id,
      refuse: (advert) => this.#verifier.refuseAdvert(advert),
      marksStale: false,
      ...o.adverts,
    });
    this.#inbox = new ResultInbox(o.nc, {
      prefix,
      coordinatorId: o.id,
      onResult: (r, attempt, msg) =>
        this.#attempts.result(r, attempt, (f) => this.#verifier.acceptResult(f, r, msg)),
      expects: (taskId, attempt) => this.#attempts.match(taskId, attempt) !== undefined, // else unread
      onNoResponders: (taskId, attempt) => this.#onNoResponders(taskId, attempt),
      onErrorReply: (taskId, attempt, err) =>
        this.#attempts.errorReply(taskId, attempt, err, (f) => this.#verifier.acceptErrorReply(f)),
      onProgress: (taskId, attempt) => this.#attempts.progress(taskId, attempt),
      onInvalid: (err) =>
        this.#events.warnOnce(`invalid:${err.subject}`, "invalid result", err.message),
    });
    this.#service = o.serviceApi ? new CoordinatorService(this, o.nc) : undefined;
    this.#cancels = new CancelListener(o.nc, this.subjects, {
      coordinatorId: o.id,
      submission: (id) => this.#p.ledger.submission(id),
      cancel: (sub, reason) => this.#cancel(sub, reason),
    });
  }

  get id(): string {
    return this.opts.id;
  }

  /** Binds the advert bucket and loads the adverts in it, subscribes, starts the sweep and the api. */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "starting";
    this.#inbox.start();
    this.#cancels.start();
    this.#watcher.onChange((c) => this.#liveness.routerChange(c));
    await this.#watcher.start();
    // Verifying, its client checks stored records too (another coordinator may own them).
    const signingKeys = (id: string) => this.router.get(id)?.advert.signingKey;
    this.#client = await this.#durable.startIfWanted(this.opts, signingKeys);
    await this.#lease.start(this.#durable.streams?.replicas ?? clusterReplicas(this.#nc));
    this.#hunts = await startHunts(this, this.#nc, () => this.#lease.leader, this.opts);
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
    await this.#hunts?.stop();
    await this.#durable.stop();
    await this.#lease.stop();
    await this.#client?.close();
    this.aggregator.failAll(new StoppedError(`coordinator ${this.id}`));
    this.#p.ledger.clear();
    this.#p.flights.clear();
    this.#starter.clear();
    this.#dispatcher.clear();
    await this.#watcher.stop();
    await this.#inbox.stop();
    await this.#cancels.stop();
    this.opts.logger.info({ coordinatorId: this.id }, "coordinator stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Follows failovers and capability misses, for operators and tests. */
  onEvent(fn: (e: CoordinatorEvent) => void): () => void {
    return this.#events.listen(fn);
  }

  /**
   * Submits a task and resolves with the aggregated result (never rejects for task failures; a
   * submit refused at once rejects). Not `async`: it hands back the aggregation's own promise.
   */
  submit(spec: TaskSpec, opts: SubmitOptions = {}): Promise<AggregatedResult> {
    try {
      const client = this.#durableFor(spec, opts);
      if (client) return client.submit(spec, opts);
      return this.aggregator.whenComplete(this.#begin(spec, opts));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Cancels a submission this coordinator runs: queued parts are dropped, running ones are told
   * to stop (their handlers see `ctx.signal` abort), and it ends `cancelled`. Returns how many
   * parts were still open, or undefined when it runs no such submission (another coordinator may:
   * a cancel on `<p>.cancel.<owner>.<id>` reaches them all).
   */
  cancel(correlationId: string, reason = "cancelled"): number | undefined {
    const sub = this.#p.ledger.submission(correlationId);
    return sub === undefined ? undefined : this.#cancel(sub, reason);
  }

  #cancel(sub: Submission, reason: string): number {
    const parts = this.#attempts.closed(sub, `cancelled: ${reason}`);
    const error = new MeshError(ErrorCode.Cancelled, `cancelled: ${reason}`);
    this.aggregator.end(sub.correlationId, "cancelled", { error });
    return parts;
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
    const plan = planSubmit(spec, opts, this.opts.defaultTimeoutMs);
    this.#targets(plan.required, false, plan.target);
    return this.#client;
  }

  #begin(spec: TaskSpec, opts: SubmitOptions): string {
    if (this.#state !== "ready") throw new StoppedError(`coordinator ${this.id}`);
    const plan = planSubmit(spec, opts, this.opts.defaultTimeoutMs);
    const owners = this.#targets(plan.required, plan.mode === "all", plan.target);
    const missed = owners && notReached(plan.target?.collectors, owners);
    const id = this.#starter.start(plan, { owners, notReached: missed });
    cancelOnAbort(opts.signal, () => this.cancel(id, "aborted by its submitter"));
    return id;
  }

  #targets(required: number, all: boolean, target?: Targeting): string[] | undefined {
    try {
      return this.#dispatcher.targets(required, all, target);
    } catch (err) {
      if (err instanceof NoCapableCollectorError) {
        this.#p.counters.noCapable++;
        this.#events.noCapable(required);
      }
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
    this.#lease.tick(now);
    this.#dispatcher.pump();
  }

  /** Messages that failed to decode or validate: results, adverts and api requests. */
  invalidMessages(): number {
    const service = this.#service?.invalidRequests ?? 0;
    return this.#inbox.stats().invalid + this.#watcher.stats().invalid + service;
  }

  /**
   * Collectors with health, load and heartbeat age, by id: all of them, or one page of them as
   * `api.status` answers (see StatusRequest).
   */
  status(page?: StatusRequest): StatusReply {
    return coordinatorStatus(this.id, this.router, this.balancer, this.opts.clock.now(), page);
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
