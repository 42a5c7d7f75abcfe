import type { NatsConnection } from "@nats-io/nats-core";
import type { StoredAck } from "../durable/publisher.js";
import {
  type AggregatedResult,
  type DurableSubmission,
  type Result,
  type Subjects,
} from "../../subjects/index.js";
import { MeshError } from "../errors.js";
import type { Logger } from "../telemetry/logger.js";
import { ensureDurableStreams, type DurableStreams } from "../durable/streams.js";
import { SubmissionIntake, type Owned } from "../durable/intake.js";
import { ResultJournal, type SubmissionRecords } from "../durable/journal.js";
import type { DurableOptions } from "../durable/options.js";
import type { ResultAggregator } from "../aggregator/index.js";
import type { SubmitPlan } from "./submit-plan.js";
import type { StartSpec } from "./starter.js";
import { notReached, parseTargeting, type Targeting } from "./targeting.js";
import { MeshClient } from "../client/mesh-client.js";
import type { SigningKeySource } from "../client/verify.js";

/** What the durable runs need of the coordinator. */
export interface DurableHooks {
  readonly coordinatorId: string;
  readonly aggregator: ResultAggregator;
  readonly logger: Logger;
  readonly now: () => number;
  /** Fan-out targets for `required`, narrowed by `target` (NoCapableCollectorError when none). */
  targets(required: number, target: Targeting | undefined): string[];
  /** Starts the submission's remaining parts; returns its correlation id. */
  start(plan: SubmitPlan, spec: StartSpec): string;
}

interface Run {
  owned: Owned;
  readonly owner: string;
  /** Stores of its results not yet confirmed: the verdict waits for them. */
  readonly stores: Promise<StoredAck | undefined>[];
}

const taskIdOf = (correlationId: string, part: number) => `${correlationId}-${part}`;
/** Tries to store one record while the server is away (about 30 s in all). */
const STORE_TRIES = 40;

/** What `api.stats` reports of the durable runs under `coordinator.durable`. */
export interface DurableRunStats {
  /** Runs owned now. */
  owned: number;
  /** Deliveries held un-acked (one per run once settled). */
  held: number;
  /** Submissions taken over from a coordinator that died. */
  takeovers: number;
  /** Deliveries of a run already running here (a late renewal), taken as the one to ack. */
  redelivered: number;
}

/**
 * The coordinator's durable half: takes submissions from the stream, runs them as ordinary
 * submissions, stores every distinct result and the verdict, and only then lets the stream forget
 * the submission. A submission redelivered from a dead owner is taken over: what was stored counts,
 * and only the parts without a final result are sent again (to the same instances, for a fan-out).
 */
export class DurableRuns {
  readonly #nc: NatsConnection;
  readonly #subjects: Subjects;
  readonly #opts: DurableOptions;
  readonly #hooks: DurableHooks;
  readonly #runs = new Map<string, Run>();
  #streams: DurableStreams | undefined;
  #intake: SubmissionIntake | undefined;
  #journal: ResultJournal | undefined;
  #unlisten: (() => void) | undefined;
  #takeovers = 0;
  #redelivered = 0;
  #stopped = false;

  constructor(nc: NatsConnection, subjects: Subjects, opts: DurableOptions, hooks: DurableHooks) {
    this.#nc = nc;
    this.#subjects = subjects;
    this.#opts = opts;
    this.#hooks = hooks;
  }

  get streams(): DurableStreams | undefined {
    return this.#streams;
  }

  /**
   * Durable when asked, or when the server has JetStream and nobody said otherwise: starts and
   * returns the client library submits go through; undefined for in memory only.
   */
  async startIfWanted(
    o: {
      durable: boolean | undefined;
      prefix: string;
      id: string;
      owner: string | undefined;
      defaultTimeoutMs: number;
      /** The client checks each stored result's signature (the coordinator's `verify`). */
      verify: boolean;
    },
    signingKeys?: SigningKeySource,
  ): Promise<MeshClient | undefined> {
    if (o.durable === false) return undefined;
    try {
      await this.start();
    } catch (err) {
      if (o.durable === true) throw err;
      this.#hooks.logger.info({ err: String(err) }, "no JetStream for durable coordination");
      return undefined;
    }
    const { prefix, defaultTimeoutMs } = o;
    const logger = this.#hooks.logger;
    const owner = o.owner ?? o.id;
    const { verify } = o;
    const init = { prefix, owner, logger, defaultTimeoutMs, durable: true, verify, signingKeys };
    return new MeshClient(this.#nc, init);
  }

  /** Creates or binds the streams and starts taking submissions. Throws without JetStream. */
  async start(): Promise<void> {
    const h = this.#hooks;
    this.#streams = await ensureDurableStreams(this.#nc, this.#subjects, this.#opts, h.logger);
    this.#journal = new ResultJournal(this.#nc, this.#subjects);
    this.#unlisten = h.aggregator.onResultAdded((r) => this.#store(r));
    this.#intake = new SubmissionIntake(this.#streams.js, this.#subjects, {
      maxOwnedPerPriority: this.#opts.maxOwnedPerPriority,
      takeoverMs: this.#opts.takeoverMs,
      logger: h.logger,
      now: h.now,
      onSubmission: (o) => void this.#take(o),
      onInvalid: (err) => h.logger.warn({ err: err.message }, "invalid durable submission dropped"),
    });
    this.#intake.start();
  }

  /** Renews ownership of what runs (called on the coordinator's sweep). */
  keepAlive(now: number): void {
    this.#intake?.keepAlive(now);
  }

  /** Stops taking submissions; those still running go back to the stream for another owner. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unlisten?.();
    await this.#intake?.stop();
    for (const run of this.#runs.values()) this.#intake?.giveUp(run.owned);
    this.#runs.clear();
    this.#journal?.close();
  }

  stats(): DurableRunStats {
    return {
      owned: this.#runs.size,
      held: this.#intake?.size ?? 0,
      takeovers: this.#takeovers,
      redelivered: this.#redelivered,
    };
  }

  async #take(o: Owned): Promise<void> {
    const s = o.submission;
    const id = s.correlationId;
    const known = this.#runs.get(id);
    if (known !== undefined) {
      // Redelivered to us while we run it (a late renewal): the newest delivery is the one to ack.
      if (known.owned !== o) {
        this.#intake?.superseded(known.owned);
        this.#redelivered++;
      }
      known.owned = o;
      return;
    }
    const run: Run = { owned: o, owner: s.owner, stores: [] };
    this.#runs.set(id, run);
    try {
      const prior = o.redelivered ? await this.#read(s) : undefined;
      if (prior !== undefined) this.#takeovers++;
      if (prior?.verdict !== undefined) {
        this.#done(id);
        return;
      }
      const now = this.#hooks.now();
      const plan = planOf(s, now);
      if (now >= s.deadline) {
        this.#finish(id, verdictNow(s, prior, now));
        return;
      }
      const spec = await this.#parts(s, prior);
      this.#hooks.start(plan, { ...spec, owner: s.owner, onEnd: (r) => this.#finish(id, r) });
    } catch (err) {
      const now = this.#hooks.now();
      this.#finish(id, verdictNow(s, undefined, now, MeshError.from(err)));
    }
  }

  /** Which parts to send: all of a fresh submission; those without a final result after a takeover. */
  async #parts(s: DurableSubmission, prior: SubmissionRecords | undefined): Promise<StartSpec> {
    const finals = new Set(prior?.results.filter((r) => r.final).map((r) => r.taskId));
    const seed = prior?.results ?? [];
    const timeoutMs = Math.max(1, s.deadline - this.#hooks.now());
    const target = parseTargeting(s);
    if (s.mode === "one") {
      const taskId = taskIdOf(s.correlationId, 0);
      return finals.has(taskId)
        ? { taskIds: [], expected: 1, seed, timeoutMs }
        : { taskIds: [taskId], seed, timeoutMs };
    }
    let parts = prior?.plan?.parts;
    if (parts === undefined) {
      parts = this.#hooks.targets(s.requiredCapabilities, target).map((collectorId, i) => ({
        taskId: taskIdOf(s.correlationId, i),
        collectorId,
      }));
      // The plan is stored before any part is sent: a new owner sends the same parts.
      await this.#journal?.plan(s.owner, {
        correlationId: s.correlationId,
        coordinatorId: this.#hooks.coordinatorId,
        expected: s.expected ?? parts.length,
        parts,
        at: this.#hooks.now(),
      });
    }
    const open = parts.filter((p) => !finals.has(p.taskId));
    return {
      notReached: notReached(
        target?.collectors,
        parts.map((p) => p.collectorId),
      ),
      owners: open.map((p) => p.collectorId),
      taskIds: open.map((p) => p.taskId),
      expected: s.expected ?? parts.length,
      seed,
      timeoutMs,
    };
  }

  /**
   * What was stored for a submission taken over, read again while the stream cannot answer (its
   * leader moving after a node died): a read that fails must not fail the submission.
   */
  async #read(s: DurableSubmission): Promise<SubmissionRecords | undefined> {
    const journal = this.#journal;
    if (journal === undefined) return undefined;
    for (let tries = 1; ; tries++) {
      try {
        return await journal.read(s.owner, s.correlationId);
      } catch (err) {
        const late = this.#hooks.now() + 1000 >= s.deadline;
        if (this.#stopped || late || tries >= STORE_TRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * tries)));
      }
    }
  }

  /** Stores each distinct result of a durable submission as the aggregator accepts it. */
  #store(r: Result): void {
    const run = this.#runs.get(r.correlationId);
    const journal = this.#journal;
    if (run === undefined || journal === undefined) return;
    run.stores.push(this.#storeWithRetry(journal, run.owner, r));
  }

  /**
   * Stores a result, again while the server is away (the same message id is stored once). Rejects
   * only when it cannot be stored in time: no verdict is then written, so the submission is taken
   * over rather than reported complete without its result.
   */
  async #storeWithRetry(journal: ResultJournal, owner: string, r: Result): Promise<StoredAck> {
    for (let tries = 1; ; tries++) {
      try {
        return await journal.result(owner, r);
      } catch (err) {
        const e = MeshError.from(err);
        if (!e.retryable || tries >= STORE_TRIES || this.#stopped) {
          this.#hooks.logger.warn({ taskId: r.taskId, err: e.message }, "result not stored");
          throw e;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * tries)));
      }
    }
  }

  /** Stores the verdict once every result is stored, then lets the stream forget the submission. */
  #finish(id: string, r: AggregatedResult): void {
    const run = this.#runs.get(id);
    const journal = this.#journal;
    if (run === undefined || journal === undefined) return;
    void Promise.all(run.stores)
      .then(() => this.#verdictWithRetry(journal, run.owner, r))
      .then(() => this.#done(id))
      .catch((err: unknown) => {
        // Left un-acked: after the ack wait another coordinator (or this one) takes it over.
        this.#hooks.logger.warn({ correlationId: id, err: String(err) }, "verdict not stored");
        this.#runs.delete(id);
      });
  }

  async #verdictWithRetry(journal: ResultJournal, owner: string, r: AggregatedResult) {
    for (let tries = 1; ; tries++) {
      try {
        return await journal.verdict(owner, r);
      } catch (err) {
        const e = MeshError.from(err);
        if (!e.retryable || tries >= STORE_TRIES || this.#stopped) throw e;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 100 * tries)));
      }
    }
  }

  #done(id: string): void {
    const run = this.#runs.get(id);
    if (run === undefined) return;
    this.#runs.delete(id);
    this.#intake?.done(run.owned);
  }
}

/** The plan a stored submission is run with. */
function planOf(s: DurableSubmission, now: number): SubmitPlan {
  return {
    required: s.requiredCapabilities,
    priority: s.priority,
    timeoutMs: Math.max(1, s.deadline - now),
    mode: s.mode,
    expected: s.expected,
    correlationId: s.correlationId,
    payload: s.payload,
    target: parseTargeting(s),
  };
}

/** A verdict made without running anything: the deadline passed, or the submission cannot run. */
function verdictNow(
  s: DurableSubmission,
  prior: SubmissionRecords | undefined,
  now: number,
  error?: MeshError,
): AggregatedResult {
  const results = prior?.results ?? [];
  const status = error !== undefined ? "failed" : results.length > 0 ? "partial" : "timed_out";
  return {
    correlationId: s.correlationId,
    status,
    results,
    expected: s.expected ?? prior?.plan?.expected ?? 1,
    received: results.length,
    duplicates: 0,
    startedAt: s.submittedAt,
    completedAt: now,
    ...(error ? { error: { code: error.code, message: error.message.slice(0, 1024) } } : {}),
  };
}
