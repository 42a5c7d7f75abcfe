import { errors as natsErrors } from "@nats-io/nats-core";
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import { jetstreamManager, JetStreamApiError } from "@nats-io/jetstream";
import {
  CancelReply,
  CancelRequest,
  DurableSubmission,
  MAX_DURABLE_ID_LENGTH,
  Subjects,
  priorityName,
  type AggregatedResult,
  type Result,
} from "../../subjects/index.js";
import { decode, encode } from "../codec.js";
import { InvalidArgumentError, MeshError, ErrorCode, OverloadedError } from "../errors.js";
import { ResultAggregator } from "../aggregator/index.js";
import type { MeshIterator } from "../structures/iterator.js";
import { cancelOnAbort, planSubmit, type SubmitPlan } from "../coordinator/submit-plan.js";
import { notReached, targetingFields } from "../coordinator/targeting.js";
import type { SubmitOptions, TaskSpec } from "../coordinator/types.js";
import {
  ResultJournal,
  decodeRecord,
  type SubmissionRecord,
  type SubmissionRecords,
} from "../durable/journal.js";
import { StreamPublisher } from "../durable/publisher.js";
import { connectionInboxPrefix } from "../inbox.js";
import { followLink, type LinkChange } from "../link.js";
import { parseClientOptions, type MeshClientInit, type MeshClientOptions } from "./options.js";
import { FastSubmitter } from "./fast.js";
import { ResultChecker, advertKeys, type VerificationStats } from "./verify.js";
import type { SubmissionHandle } from "./types.js";

/**
 * Submits work to a mesh and hands back its results. Durable by default when the mesh has its
 * submissions stream: a submit is accepted once JetStream stored it (its correlation id is the
 * idempotency key), results arrive on the submitter's results subject as the owning coordinator
 * stores them, each distinct result once, and the verdict comes by the deadline plus at most
 * `verdictGraceMs` whatever died in between (the client gives it itself when nothing came).
 * Fast mode uses the coordinators' api; a coordinator that dies is noticed within seconds.
 */
export class MeshClient {
  readonly opts: MeshClientOptions;
  readonly subjects: Subjects;
  readonly #nc: NatsConnection;
  readonly #journal: ResultJournal;
  readonly #store: StreamPublisher;
  readonly #fast: FastSubmitter;
  /** Tracks each submission's results: dedup by part and sequence number, completion, streams. */
  readonly #agg: ResultAggregator;
  readonly #pending = new Map<string, { submission: DurableSubmission; expected?: number }>();
  /** With `verify`: checks each result's signature; records are then applied in order, after it. */
  readonly #checker: ResultChecker | undefined;
  #checked: Promise<void> = Promise.resolve();
  #sub: Subscription | undefined;
  #durable: Promise<boolean> | undefined;
  /** The submissions stream takes `Nats-TTL` (2.11+, and a stream made or upgraded there). */
  #messageTtl = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Submissions whose stored records are being read back. */
  readonly #reading = new Set<string>();
  #disconnected = false;

  constructor(nc: NatsConnection, init: MeshClientInit = {}) {
    const parsed = parseClientOptions(init);
    this.opts = { ...parsed, inboxPrefix: parsed.inboxPrefix ?? connectionInboxPrefix(nc) };
    this.#nc = nc;
    this.subjects = new Subjects(this.opts.prefix);
    this.#store = new StreamPublisher(nc, { inboxPrefix: this.opts.inboxPrefix });
    this.#journal = new ResultJournal(nc, this.subjects, this.#store);
    this.#agg = new ResultAggregator({ dedupKey: "task-seq", completedRingSize: 1000 });
    const o = this.opts;
    this.#checker = o.verify
      ? new ResultChecker(o.signingKeys ?? advertKeys(nc, this.subjects))
      : undefined;
    this.#fast = new FastSubmitter(nc, this.subjects, this.opts, this.#checker);
    void followLink(
      this.#nc,
      (c) => this.#onLink(c),
      () => this.#closed,
    );
  }

  /** True when submits go to the durable stream (the mesh has it, and durable is not off). */
  durable(): Promise<boolean> {
    if (this.opts.durable === false) return Promise.resolve(false);
    this.#durable ??= jetstreamManager(this.#nc)
      .then((jsm) => jsm.streams.info(this.subjects.submissionsStream()))
      .then((info) => {
        // By the stream, not the server's version: a stream that 2.9 made refuses Nats-TTL on
        // 2.11+ until a coordinator upgrades it.
        this.#messageTtl = info.config.allow_msg_ttl === true;
        return true;
      })
      .catch((err: unknown) => {
        this.#durable = undefined; // ask again next time: a coordinator may create it
        if (this.opts.durable === true) throw err;
        return false;
      });
    return this.#durable;
  }

  /** Submits and resolves with the aggregated result (never rejects for task failures). */
  async submit(spec: TaskSpec, opts: SubmitOptions = {}): Promise<AggregatedResult> {
    const plan = planSubmit(spec, opts, this.opts.defaultTimeoutMs);
    if (!(await this.durable())) return this.#fast.submit(plan);
    const { id, done } = await this.#submitDurable(plan, false);
    cancelOnAbort(opts.signal, () => this.cancel(id, "aborted by its submitter"));
    return done;
  }

  /**
   * A running submission's results so far and the parts that complete it (known once a fan-out's
   * plan is stored; a fast-path fan-out tells it with its verdict).
   */
  progress(correlationId: string): { received: number; expected: number | undefined } | undefined {
    return this.#agg.getProgress(correlationId) ?? this.#fast.progress(correlationId);
  }

  /** Submits and yields each distinct result as it arrives. */
  async submitStream(spec: TaskSpec, opts: SubmitOptions = {}): Promise<MeshIterator<Result>> {
    return (await this.track(spec, opts)).results;
  }

  /** Submits; both the results as they arrive and the verdict. */
  async track(spec: TaskSpec, opts: SubmitOptions = {}): Promise<SubmissionHandle> {
    const plan = planSubmit(spec, opts, this.opts.defaultTimeoutMs);
    if (!(await this.durable())) return this.#fast.track(plan);
    const { id, done, results } = await this.#submitDurable(plan, true);
    cancelOnAbort(opts.signal, () => this.cancel(id, "aborted by its submitter"));
    return { correlationId: id, results: results!, done };
  }

  /**
   * Cancels a running submission of this submitter (any coordinator running it ends it
   * `cancelled`); undefined when none answered within `timeoutMs` (finished, or unknown).
   */
  async cancel(
    correlationId: string,
    reason?: string,
    opts: { owner?: string; timeoutMs?: number } = {},
  ): Promise<CancelReply | undefined> {
    const subject = this.subjects.cancel(opts.owner ?? this.opts.owner, correlationId);
    const body = encode(CancelRequest, reason === undefined ? {} : { reason });
    try {
      const msg = await this.#nc.request(subject, body, { timeout: opts.timeoutMs ?? 2000 });
      return decode(CancelReply, msg.data, { subject });
    } catch {
      return undefined;
    }
  }

  /**
   * What the results stream holds for one of this submitter's submissions; with `verify`, only
   * the results signed by their collectors.
   */
  async results(correlationId: string, owner = this.opts.owner): Promise<SubmissionRecords> {
    const recs = await this.#journal.read(owner, correlationId);
    if (this.#checker) recs.results = await this.#checker.filter(recs.results);
    return recs;
  }

  /** With `verify`: results taken and dropped, by reason; undefined when not verifying. */
  verification(): VerificationStats | undefined {
    return this.#checker?.stats();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#fast.close();
    this.#journal.close();
    await this.#sub?.drain().catch(() => undefined);
    this.#agg.failAll(new MeshError(ErrorCode.Stopped, "client closed"));
  }

  /**
   * Stores the submission; its verdict (and, with `stream`, its results as they come) are taken
   * before the first wait, since a retried store can return after the submission has ended.
   */
  async #submitDurable(
    plan: SubmitPlan,
    stream: boolean,
  ): Promise<{ id: string; done: Promise<AggregatedResult>; results?: MeshIterator<Result> }> {
    const id = plan.correlationId ?? this.#newId();
    if (id.length > MAX_DURABLE_ID_LENGTH) {
      throw new InvalidArgumentError("correlationId", `is longer than ${MAX_DURABLE_ID_LENGTH}`);
    }
    const now = Date.now();
    const submission: DurableSubmission = {
      correlationId: id,
      owner: this.opts.owner,
      requiredCapabilities: plan.required,
      priority: plan.priority,
      mode: plan.mode,
      timeoutMs: plan.timeoutMs,
      submittedAt: now,
      deadline: now + plan.timeoutMs,
      ...(plan.payload !== undefined ? { payload: plan.payload } : {}),
      ...(plan.expected !== undefined ? { expected: plan.expected } : {}),
      ...targetingFields(plan.target),
    };
    this.#listen();
    // The client's own verdict is due a grace period after the deadline.
    const expected = plan.mode === "one" ? (plan.expected ?? 1) : plan.expected;
    if (!this.#agg.isActive(id)) {
      // The client's sweep gives the verdict first; the aggregator's own timeout is a backstop.
      const timeoutMs = plan.timeoutMs + 2 * this.opts.verdictGraceMs;
      // Its result goes to the caller (and its readers) when it ends: none is kept whole here.
      this.#agg.startAggregation(id, { expected, timeoutMs, retain: false });
    }
    this.#pending.set(id, { submission, expected });
    const done = this.#agg.whenComplete(id);
    const results = stream ? this.#agg.stream(id) : undefined;
    void done.then(() => this.#pending.delete(id));
    const subject = this.subjects.submit(priorityName(plan.priority), this.opts.owner);
    const data = encode(DurableSubmission, submission);
    const ttl = this.#messageTtl ? { ttl: `${Math.ceil(plan.timeoutMs / 1000)}s` } : {};
    for (let tries = 1; ; tries++) {
      try {
        const ack = await this.#store.store(subject, data, { msgID: id, ...ttl });
        // Stored before (this is a retry after a lost acknowledgement, or a resubmit): what it
        // stored may predate this listener.
        if (ack.duplicate || tries > 1) void this.#catchUp(id);
        return { id, done, results };
      } catch (err) {
        // The server is away or JetStream is not ready: the same message id again is the same
        // submission, so trying again while the deadline allows cannot submit it twice.
        const e = submitError(err);
        if (!e.retryable || this.#closed || Date.now() + 500 >= submission.deadline) {
          this.#agg.end(id, "failed", { error: e });
          throw e;
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * tries)));
      }
    }
  }

  #newId(): string {
    return `${this.opts.owner.slice(0, 40)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  }

  /** One subscription for every result of this submitter, fed to the aggregator by id. */
  #listen(): void {
    if (this.#sub) return;
    this.#sub = this.#nc.subscribe(this.subjects.resultsOf(this.opts.owner), {
      callback: (err, msg) => {
        if (!err) this.#onRecord(msg);
      },
    });
    this.#timer ??= setInterval(() => this.#sweep(), 100);
    this.#timer.unref();
  }

  /**
   * The client's own verdict for a submission whose verdict did not come by its deadline plus the
   * grace period: what arrived, and why nothing else did.
   */
  #sweep(): void {
    const now = Date.now();
    for (const [id, p] of this.#pending) {
      if (now < p.submission.deadline + this.opts.verdictGraceMs) continue;
      const why =
        this.#nc.isClosed() || this.#disconnected
          ? "server unreachable"
          : "no verdict from the mesh";
      const received = this.#agg.getProgress(id)?.received ?? 0;
      const error = new MeshError(ErrorCode.Unavailable, `${why} by the deadline`);
      this.#agg.end(id, received > 0 ? "partial" : "timed_out", { error });
    }
  }

  #onRecord(msg: Msg): void {
    let rec: SubmissionRecord;
    try {
      rec = decodeRecord(msg, this.#checker !== undefined);
    } catch {
      return; // not a record: nothing this client can use
    }
    const checker = this.#checker;
    if (checker === undefined) this.#apply(rec);
    else this.#checked = this.#checked.then(() => this.#applyChecked(checker, rec));
  }

  /** Applies a record once its result (if it is one) has checked; in arrival order. */
  async #applyChecked(checker: ResultChecker, rec: SubmissionRecord): Promise<void> {
    // A result seen before (stored again after a lost acknowledgement), or one for a submission
    // already finished, is counted by the aggregator as a duplicate or late, not checked again.
    const seen =
      rec.kind === "result" &&
      (!this.#agg.isActive(rec.result.correlationId) || this.#agg.isDuplicate(rec.result));
    if (rec.kind !== "result" || seen || (await checker.check(rec.result))) {
      this.#apply(rec);
    }
  }

  #apply(rec: SubmissionRecord): void {
    if (rec.kind === "result") {
      this.#agg.addResult(rec.result);
    } else if (rec.kind === "plan") {
      const { correlationId: id, parts } = rec.plan;
      const p = this.#pending.get(id);
      const targets = parts.map((part) => part.collectorId);
      this.#agg.setCoverage(id, targets, notReached(p?.submission.collectors, targets));
      this.#agg.setExpected(id, p?.expected ?? rec.plan.expected);
    } else {
      const v = rec.verdict;
      const id = v.correlationId;
      const have = this.#agg.getProgress(id)?.received ?? 0;
      // An aggregation that has ended (every expected result came live) has nothing to catch up.
      if (this.#agg.isActive(id) && have < v.received && !this.#reading.has(id)) {
        // Results were stored that this subscription missed (a reconnect): read them first.
        this.#reading.add(id);
        void this.#catchUp(id).finally(() => {
          this.#reading.delete(id);
          this.#conclude(v);
        });
        return;
      }
      this.#conclude(v);
    }
  }

  #conclude(v: AggregatedResult): void {
    const error = v.error ? new MeshError(v.error.code, v.error.message) : undefined;
    const { expected, instances } = v;
    this.#agg.end(v.correlationId, v.status, { expected, error, instances });
  }

  /** Reads what was stored for `id` and applies it (after a reconnect, or a resubmit). */
  async #catchUp(id: string): Promise<void> {
    try {
      const recs = await this.#journal.read(this.opts.owner, id);
      // Only results not held already are checked (a catch-up re-reads what arrived live); once
      // the submission has finished there is nothing left to catch up with.
      const open = this.#agg.isActive(id);
      const fresh = recs.results.filter((r) => open && !this.#agg.isDuplicate(r));
      recs.results = this.#checker ? await this.#checker.filter(fresh) : fresh;
      if (recs.plan) this.#apply({ kind: "plan", plan: recs.plan });
      for (const r of recs.results) this.#apply({ kind: "result", result: r });
      if (recs.verdict) this.#apply({ kind: "verdict", verdict: recs.verdict });
    } catch (err) {
      this.opts.logger.warn({ correlationId: id, err: String(err) }, "results not read back");
    }
  }

  /** Records published while disconnected were missed by the subscription: read them back. */
  #onLink(change: LinkChange): void {
    this.#disconnected = change === "disconnect";
    if (change === "reconnect") for (const id of this.#pending.keys()) void this.#catchUp(id);
  }
}

/**
 * Why a durable submit was not stored: OVERLOADED when the stream is full, UNAVAILABLE (worth
 * another try) when the server or JetStream did not answer, else a refusal that will not change.
 */
function submitError(err: unknown): MeshError {
  if (err instanceof MeshError) return err;
  if (err instanceof JetStreamApiError) {
    // 10077: the stream's message limit (discard new): the mesh is full.
    if (err.code === 10077) return new OverloadedError("submissions stream", 0);
    return new MeshError(ErrorCode.InvalidArgument, `submission refused: ${err.message}`, {
      cause: err,
    });
  }
  if (err instanceof natsErrors.PermissionViolationError) {
    return new MeshError(ErrorCode.InvalidArgument, `submission refused: ${err.message}`, {
      cause: err,
    });
  }
  return new MeshError(ErrorCode.Unavailable, `submission not stored: ${String(err)}`, {
    cause: err,
  });
}
