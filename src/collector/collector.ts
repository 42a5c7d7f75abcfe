import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { decode } from "../codec.js";
import {
  MeshError,
  ErrorCode,
  InvalidArgumentError,
  InvalidMessageError,
  StoppedError,
} from "../errors.js";
import {
  CollectorHealth,
  Subjects,
  Task,
  domainsOf,
  formatCaps,
  hasCaps,
  type CollectorAdvert,
} from "../../subjects/index.js";
import { Advertiser } from "../router/advertiser.js";
import { LogOnce } from "../telemetry/log-once.js";
import { parseCollectorOptions, type CollectorInit, type CollectorOptions } from "./options.js";
import { PriorityFifo } from "./task-queue.js";
import { TaskRun, TaskRunner, type Job } from "./runner.js";
import { TaskControl } from "./control.js";
import { advertLabels } from "./labels.js";
import { createSigner, type ResultSigner } from "../signing.js";
import type { CollectorStats } from "./types.js";

/**
 * Load levels an advert is put again for: below half of maxConcurrency, from half, full. Finer
 * changes wait for the next refresh (a fan-out of one task per collector moves no level of a
 * collector that runs four at once, so it costs no puts).
 */
export function loadLevel(inFlight: number, maxConcurrency: number): 0 | 1 | 2 {
  if (inFlight >= maxConcurrency) return 2;
  return inFlight * 2 >= maxConcurrency ? 1 : 0;
}

/**
 * A collector instance: advertises itself in the KV bucket and refreshes it, takes tasks on its
 * direct subject (and on the plain path in its domains' queue groups), runs the handler under
 * maxConcurrency with its own priority queue, and sends Results (seq, final) to the reply subject.
 */
export class Collector {
  readonly opts: CollectorOptions;
  readonly #subjects: Subjects;
  readonly #queue = new PriorityFifo<Job>();
  readonly #running = new Set<TaskRun>();
  readonly #startedAt: number;
  #nc: NatsConnection | undefined;
  #subs: Subscription[] = [];
  #advertiser: Advertiser | undefined;
  #health: CollectorHealth = CollectorHealth.Healthy;
  readonly #logOnce = new LogOnce();
  #accepting = false;
  #idle: (() => void) | undefined;
  /** loadLevel of the load last told to the advertiser. */
  #level = 0;
  readonly #stats = {
    received: 0,
    completed: 0,
    failed: 0,
    invalid: 0,
    expired: 0,
    rejected: 0,
    resultsSent: 0,
  };
  readonly #runner: TaskRunner;
  readonly #control: TaskControl;
  #cancels: Subscription | undefined;
  readonly #signer: ResultSigner | undefined;
  /** The advert's labels: the standard ones and the collector's own (labels.ts). */
  readonly #labels: Record<string, string>;

  constructor(init: CollectorInit) {
    this.opts = parseCollectorOptions(init);
    this.#subjects = new Subjects(this.opts.prefix);
    this.#startedAt = this.opts.clock.now();
    this.#labels = advertLabels(this.opts);
    this.#signer = this.opts.sign === undefined ? undefined : createSigner(this.opts.sign);
    this.#runner = new TaskRunner({
      signer: this.#signer,
      collectorId: this.opts.id,
      handler: this.opts.handler,
      logger: this.opts.logger,
      clock: this.opts.clock,
      nc: () => this.#nc,
      counts: this.#stats,
    });
    this.#control = new TaskControl(
      {
        clock: this.opts.clock,
        nc: () => this.#nc,
        running: () => this.#running,
        dropQueued: (taskId, attempt) =>
          this.#queue.remove(
            (j) =>
              j.task.taskId === taskId && (attempt === undefined || j.task.attempt === attempt),
          ),
      },
      this.opts.progressMs,
    );
  }

  get id(): string {
    return this.opts.id;
  }

  /** Tasks accepted and not finished (running + queued): what the advert reports. */
  get inFlight(): number {
    return this.#running.size + this.#queue.size;
  }

  /** The advert as it would be put now. */
  advert(): CollectorAdvert {
    const o = this.opts;
    return {
      id: o.id,
      type: o.type,
      capabilities: o.capabilities,
      version: o.version,
      health: this.#health,
      maxConcurrency: o.maxConcurrency,
      inFlight: this.inFlight,
      weight: o.weight,
      labels: this.#labels,
      startedAt: this.#startedAt,
      heartbeatSeq: 0,
      heartbeatAt: o.clock.now(),
      ...(this.#signer ? { signingKey: this.#signer.publicKey } : {}),
    };
  }

  /** The public key results are signed with (`ed25519:…`), when the collector signs. */
  get signingKey(): string | undefined {
    return this.#signer?.publicKey;
  }

  /** Subscribes and starts advertising. */
  async start(nc: NatsConnection): Promise<void> {
    if (this.#nc)
      throw new MeshError(ErrorCode.InvalidArgument, `collector ${this.id} already started`);
    await this.#refuseDuplicate(nc);
    this.#nc = nc;
    this.#accepting = true;
    const cb = (err: Error | null, msg: Msg) => {
      if (!err) this.#onMessage(msg);
    };
    this.#subs.push(nc.subscribe(this.#subjects.collectorTask(this.id), { callback: cb }));
    this.#cancels = nc.subscribe(this.#subjects.collectorCancel(this.id), {
      callback: (err, msg) => {
        if (!err) this.#control.onCancel(msg);
      },
    });
    this.#control.start();
    if (this.opts.plainPath) {
      const domains = domainsOf(this.opts.capabilities);
      // `generic` tasks carry no domain bit: serve them only when we have no domain of our own.
      const served = domains.length > 1 ? domains.filter((d) => d !== "generic") : domains;
      for (const d of served) {
        this.#subs.push(
          nc.subscribe(this.#subjects.taskWildcard(d), {
            queue: this.#subjects.queueGroup(d),
            callback: cb,
          }),
        );
      }
    }
    await nc.flush();
    this.#advertiser = new Advertiser(nc, {
      prefix: this.opts.prefix,
      ttlMs: this.opts.ttlMs,
      heartbeatMs: this.opts.heartbeatMs,
      advert: () => this.advert(),
      logger: this.opts.logger,
    });
    await this.#advertiser.start();
    this.opts.logger.info(
      {
        collectorId: this.id,
        type: this.opts.type,
        capabilities: formatCaps(this.opts.capabilities),
      },
      "collector started",
    );
  }

  /**
   * A collector already answering on this id's direct subject is alive: a second one under the
   * same id would take half its tasks and hide its death. Refused; no answer (503) is the normal
   * case, and a probe that times out is taken as nobody there.
   */
  async #refuseDuplicate(nc: NatsConnection): Promise<void> {
    const subject = this.#subjects.collectorTask(this.id);
    try {
      await nc.request(subject, new Uint8Array(0), { timeout: this.opts.duplicateProbeMs });
    } catch {
      return;
    }
    throw new InvalidArgumentError(
      "id",
      `${this.id} is in use by a live collector (it answered on ${subject}); give this one another --id`,
    );
  }

  /** Changes the advertised health and puts the advert at once. */
  async setHealth(health: CollectorHealth): Promise<void> {
    this.#health = health;
    await this.#advertiser?.beat();
  }

  /** The advertiser, for tests that pause heartbeats. */
  get advertiser(): Advertiser | undefined {
    return this.#advertiser;
  }

  /**
   * Drains: stops taking tasks, lets running and queued tasks finish within the grace period
   * (then aborts them with a STOPPED error result), and deletes the advert.
   */
  async stop(): Promise<void> {
    if (!this.#nc) return;
    this.#accepting = false;
    // Routers stop choosing us; tasks still sent meanwhile are refused with STOPPED (the
    // coordinator re-sends them elsewhere). The direct subscription stays until in-flight work
    // is done, so no coordinator mistakes the drain for a dead instance (no responders).
    this.#health = CollectorHealth.Unavailable;
    await this.#advertiser?.beat();
    const [direct, ...queues] = this.#subs;
    await Promise.allSettled(queues.map((s) => s.drain()));
    if (this.inFlight > 0) {
      const idle = new Promise<void>((r) => (this.#idle = r));
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (timer = setTimeout(r, this.opts.drainGraceMs)));
      await Promise.race([idle, grace]);
      clearTimeout(timer);
      if (this.inFlight > 0) {
        for (const job of this.#queue.drain())
          this.#runner.sendError(job, new StoppedError(`collector ${this.id}`), 0);
        for (const run of this.#running) run.abort(new StoppedError(`collector ${this.id}`));
      }
    }
    await direct?.drain().catch(() => undefined);
    await this.#cancels?.drain().catch(() => undefined);
    this.#control.stop();
    this.#subs = [];
    await this.#advertiser?.stop();
    this.#advertiser = undefined;
    try {
      await this.#nc.flush();
    } catch {
      // connection already closed: nothing left to flush
    }
    this.#nc = undefined;
    this.opts.logger.info({ collectorId: this.id }, "collector stopped");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  stats(): CollectorStats {
    return {
      ...this.#stats,
      running: this.#running.size,
      queued: this.#queue.size,
      health: this.#health,
    };
  }

  #onMessage(msg: Msg): void {
    if (msg.data.length === 0 && msg.reply) {
      // A coordinator's liveness probe: answer it, it is not a task.
      this.#nc?.publish(msg.reply, new Uint8Array(0));
      return;
    }
    this.#stats.received++;
    let task: Task;
    try {
      task = decode(Task, msg.data, { subject: msg.subject, maxBytes: this.opts.maxTaskBytes });
    } catch (err) {
      this.#stats.invalid++;
      const e = err instanceof InvalidMessageError ? err : new InvalidMessageError(String(err));
      const once = this.#logOnce.check(msg.subject);
      if (once.log) {
        this.opts.logger.warn(
          { subject: msg.subject, paths: e.paths, err: e.message, suppressed: once.suppressed },
          "invalid task",
        );
      }
      this.#runner.replyError(msg.reply, e);
      return;
    }
    const job: Job = {
      task,
      priority: task.priority,
      reply: msg.reply || undefined,
      headers: msg.headers,
      receivedAt: this.opts.clock.now(),
    };
    if (!hasCaps(this.opts.capabilities, task.requiredCapabilities)) {
      this.#stats.rejected++;
      this.#runner.sendError(
        job,
        new MeshError(
          ErrorCode.NoCapableCollector,
          `collector ${this.id} lacks ${formatCaps(task.requiredCapabilities & ~this.opts.capabilities)}`,
        ),
        0,
      );
      return;
    }
    if (!this.#accepting) {
      this.#stats.rejected++;
      this.#runner.sendError(job, new StoppedError(`collector ${this.id}`), 0);
      return;
    }
    if (this.#running.size < this.opts.maxConcurrency) {
      this.#run(job);
      this.#loadMoved();
    } else if (this.#queue.size < this.opts.maxQueued) {
      this.#queue.push(job);
      this.#loadMoved();
    } else {
      this.#stats.rejected++;
      this.#runner.sendError(
        job,
        new MeshError(ErrorCode.Overloaded, `collector ${this.id} queue is full`),
        0,
      );
    }
  }

  #next(): void {
    while (this.#running.size < this.opts.maxConcurrency) {
      const job = this.#queue.shift();
      if (!job) break;
      this.#run(job);
    }
    this.#loadMoved();
    this.#checkIdle();
  }

  /** Load crossed a level: the advert is put soon (the advertiser limits how often). */
  #loadMoved(): void {
    const level = loadLevel(this.inFlight, this.opts.maxConcurrency);
    if (level === this.#level) return;
    this.#level = level;
    this.#advertiser?.changed();
  }

  #checkIdle(): void {
    if (this.inFlight === 0 && this.#idle) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
  }

  #run(job: Job): void {
    const now = this.opts.clock.now();
    if (job.task.deadline <= now) {
      this.#stats.expired++;
      this.#runner.sendError(
        job,
        new MeshError(ErrorCode.Timeout, `task ${job.task.taskId} deadline passed before it ran`),
        0,
      );
      // No call to #next here: the loop that called us takes the next job (a long queue of
      // expired jobs must not recurse).
      this.#checkIdle();
      return;
    }
    const run = new TaskRun(job.task, this.id, this.opts.logger, job.reply, now);
    this.#running.add(run);
    void this.#runner.execute(job, run).finally(() => {
      this.#running.delete(run);
      this.#next();
    });
  }
}
