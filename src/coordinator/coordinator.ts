import type { NatsConnection } from "@nats-io/nats-core";
import type { Attributes } from "@opentelemetry/api";
import { encode } from "../codec.js";
import {
  MeshError,
  ErrorCode,
  InvalidArgumentError,
  NoCapableCollectorError,
  OverloadedError,
  StoppedError,
} from "../errors.js";
import {
  FailoverEvent,
  Subjects,
  formatCaps,
  parseCaps,
  parsePriority,
  priorityName,
  type AggregatedResult,
  type CollectorStatus,
  type Result,
  type StatsReply,
  type StatusReply,
  type SubmitMode,
  type Task,
  type TaskPriority,
} from "../../subjects/index.js";
import {
  CapabilityRouter,
  RouterWatcher,
  type Candidate,
  type RouterChange,
} from "../router/index.js";
import { LoadBalancer } from "../balancer/index.js";
import { TaskDistributor, TaskPublisher } from "../distributor/index.js";
import { ResultAggregator, ResultInbox } from "../aggregator/index.js";
import type { MeshIterator } from "../iterator.js";
import {
  Attr,
  SpanKind,
  context,
  endSpan,
  trace,
  tracer,
  tracingEnabled,
  type Context,
} from "../telemetry/tracing.js";
import {
  parseCoordinatorOptions,
  type CoordinatorInit,
  type CoordinatorOptions,
} from "./options.js";
import { CoordinatorService } from "./service.js";
import { LogOnce } from "../telemetry/log-once.js";

/** What to run: the capabilities it needs and its payload. */
export interface TaskSpec {
  requiredCapabilities: number | string;
  payload?: unknown;
}

export interface SubmitOptions {
  /** `one`: the balancer picks one instance; `all`: every capable instance, aggregated. */
  mode?: SubmitMode;
  /** Parts to wait for (default 1 for `one`, the number of instances for `all`). */
  expected?: number;
  timeoutMs?: number;
  priority?: TaskPriority | string;
  correlationId?: string;
}

/** One attempt of a task on one instance. */
interface Flight {
  task: Task;
  collectorId: string;
  attempt: number;
  dispatchedAt: number;
  attemptDeadline: number;
}

/** Coordinator-side state of a task between submit and its last result. */
interface TaskState {
  task: Task;
  /** Fan-out parts go to one named instance first. */
  pinned: string | undefined;
  /** Instances that failed this task; avoided while others can take it. */
  avoid: Set<string> | undefined;
  attempts: number;
  ctx: Context | undefined;
  /** Fan-out: every instance that got a part; a failed part prefers an instance outside them. */
  members: readonly string[] | undefined;
}

export interface CoordinatorCounters {
  submitted: number;
  noCapable: number;
  resent: number;
  failovers: number;
  attemptTimeouts: number;
  noResponders: number;
  probes: number;
}

/**
 * Wires router, balancer, distributor and aggregator to NATS: routes each task by capability and
 * health, balances it onto an instance with free capacity, re-sends in-flight work when an
 * instance fails, and aggregates results by correlation id.
 */
export class Coordinator {
  readonly opts: CoordinatorOptions;
  readonly subjects: Subjects;
  readonly router: CapabilityRouter;
  readonly balancer: LoadBalancer;
  readonly distributor: TaskDistributor;
  readonly aggregator: ResultAggregator;
  readonly #nc: NatsConnection;
  readonly #publisher: TaskPublisher;
  readonly #watcher: RouterWatcher;
  readonly #inbox: ResultInbox;
  readonly #service: CoordinatorService | undefined;
  readonly #tasks = new Map<string, TaskState>();
  readonly #flights = new Map<string, Flight>();
  /** Task ids in flight per instance, so failing one instance costs what it had. */
  readonly #flightsOn = new Map<string, Set<string>>();
  /** Stale or left while NATS was disconnected: judged again once reconnected. */
  readonly #deferredStale = new Set<string>();
  #disconnectedAt: number | undefined;
  #ready = false;
  /** Task ids of each submission, to end its remaining parts when it completes. */
  readonly #byCorrelation = new Map<string, string[]>();
  /** `<p>.result.<id>.`: reply subjects are this plus `<taskId>.<attempt>`. */
  readonly #resultPrefix: string;
  readonly #probing = new Map<string, number>();
  /** Re-sends per instance that failed, refused or timed out the attempt (for stats). */
  readonly #resentFrom = new Map<string, number>();
  readonly #logOnce = new LogOnce();
  readonly #counters: CoordinatorCounters = {
    submitted: 0,
    noCapable: 0,
    resent: 0,
    failovers: 0,
    attemptTimeouts: 0,
    noResponders: 0,
    probes: 0,
  };
  #sweepTimer: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  #started = false;
  #stopped = false;
  #unsubscribeChanges: (() => void) | undefined;
  #listeners = new Set<(e: CoordinatorEvent) => void>();

  constructor(init: CoordinatorInit) {
    this.opts = parseCoordinatorOptions(init);
    const o = this.opts;
    const deps = { clock: o.clock, rng: o.rng };
    this.#nc = o.nc;
    this.subjects = new Subjects(o.prefix);
    this.#resultPrefix = this.subjects.resultPrefix(o.id);
    this.router = new CapabilityRouter(
      { prefix: o.prefix, heartbeatTimeoutMs: o.advertTtlMs },
      deps,
    );
    this.balancer = new LoadBalancer(
      { strategy: o.strategy, failoverThreshold: o.failoverThreshold },
      deps,
    );
    this.distributor = new TaskDistributor(
      { maxQueued: o.maxQueued, agingMs: o.agingMs, defaultTimeoutMs: o.defaultTimeoutMs },
      deps,
    );
    this.aggregator = new ResultAggregator({}, deps);
    this.#publisher = new TaskPublisher(o.nc, { prefix: o.prefix });
    this.#watcher = new RouterWatcher(o.nc, this.router, {
      prefix: o.prefix,
      ttlMs: o.advertTtlMs,
      logger: o.logger,
    });
    this.#inbox = new ResultInbox(o.nc, {
      prefix: o.prefix,
      coordinatorId: o.id,
      onResult: (r) => this.#onResult(r),
      onNoResponders: (taskId, attempt) => this.#onNoResponders(taskId, attempt),
      onErrorReply: (taskId, attempt, err) => this.#onErrorReply(taskId, attempt, err),
      onInvalid: (err) => {
        const once = this.#logOnce.check(`invalid:${err.subject ?? ""}`);
        if (!once.log) return;
        o.logger.warn(
          { err: err.message, subject: err.subject, suppressed: once.suppressed },
          "invalid result",
        );
      },
    });
    this.#service = o.serviceApi ? new CoordinatorService(this, o.nc) : undefined;
  }

  get id(): string {
    return this.opts.id;
  }

  /** Binds the advert bucket, subscribes the result inbox, starts the sweep and the service. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#inbox.start();
    this.#unsubscribeChanges = this.#watcher.onChange((c) => this.#onRouterChange(c));
    await this.#watcher.start();
    await this.#service?.start();
    this.#sweepTimer = setInterval(() => this.#sweep(), this.opts.sweepIntervalMs);
    this.#sweepTimer.unref();
    void this.#followConnection();
    await this.#nc.flush();
    this.#ready = true;
    this.opts.logger.info(
      { coordinatorId: this.id, prefix: this.opts.prefix },
      "coordinator started",
    );
  }

  /**
   * Stops taking submits, waits up to `graceMs` for work in flight, then ends what is left with
   * a STOPPED error and unsubscribes.
   */
  async stop(graceMs = 0): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#service?.stop();
    const deadline = Date.now() + graceMs;
    while (this.#tasks.size > 0 && Date.now() < deadline) await sleep(20);
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    this.aggregator.failAll(new StoppedError(`coordinator ${this.id}`));
    this.#tasks.clear();
    this.#byCorrelation.clear();
    this.#flights.clear();
    this.#flightsOn.clear();
    this.#unsubscribeChanges?.();
    await this.#watcher.stop();
    await this.#inbox.stop();
    this.opts.logger.info({ coordinatorId: this.id }, "coordinator stopped");
  }

  /** Follows failovers and tasks given up, for operators and tests. */
  onEvent(fn: (e: CoordinatorEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Submits a task and resolves with the aggregated result (never rejects for task failures). */
  async submit(spec: TaskSpec, opts: SubmitOptions = {}): Promise<AggregatedResult> {
    const correlationId = this.#begin(spec, opts);
    return this.aggregator.whenComplete(correlationId);
  }

  /** Submits a task and yields each distinct result as it arrives. */
  submitStream(spec: TaskSpec, opts: SubmitOptions = {}): MeshIterator<Result> {
    const correlationId = this.#begin(spec, opts);
    return this.aggregator.stream(correlationId);
  }

  #begin(spec: TaskSpec, opts: SubmitOptions): string {
    if (this.#stopped || !this.#ready) throw new StoppedError(`coordinator ${this.id}`);
    const required = parseCaps(spec.requiredCapabilities);
    const priority = parsePriority(opts.priority ?? 1);
    const timeoutMs = opts.timeoutMs ?? this.opts.defaultTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidArgumentError("timeoutMs", "must be a positive number");
    }
    const mode = opts.mode ?? "one";
    if (mode !== "one" && mode !== "all")
      throw new InvalidArgumentError("mode", "must be one or all");
    let candidates: readonly Candidate[];
    try {
      candidates = this.router.findCapable(required);
    } catch (err) {
      if (err instanceof NoCapableCollectorError) {
        this.#counters.noCapable++;
        const once = this.#logOnce.check(`nocap:${required}`);
        if (once.log) {
          this.opts.logger.warn(
            { required: formatCaps(required), suppressed: once.suppressed },
            "no capable collector",
          );
        }
        this.#emit({ kind: "no-capable-collector", required });
      }
      throw err;
    }
    if (mode === "all") {
      // Fan out to instances the balancer would use now: an ejected one would hold its part
      // until its ejection ends.
      const usable = candidates.filter((c) => !this.balancer.isEjected(c.id));
      if (usable.length > 0) candidates = usable;
    }
    if (mode === "all" && candidates.length === 0) {
      this.#counters.noCapable++;
      throw new NoCapableCollectorError(required, formatCaps(required));
    }
    const parts = mode === "all" ? candidates.length : 1;
    const expected = opts.expected ?? parts;
    if (!Number.isInteger(expected) || expected < 1) {
      throw new InvalidArgumentError("expected", "must be a positive integer");
    }
    const first = this.distributor.createTask({
      requiredCapabilities: required,
      payload: spec.payload,
      priority,
      timeoutMs,
      correlationId: opts.correlationId,
    });
    const correlationId = first.correlationId;
    if (this.distributor.size() + parts > this.opts.maxQueued) {
      // Checked before any state changes, so an overloaded submit leaves nothing behind.
      throw new OverloadedError("coordinator queue", this.opts.maxQueued);
    }
    // With no tracing SDK the span is a no-op: skip its attributes and its context, which
    // would be allocated for every submit and read by nobody.
    const traced = tracingEnabled();
    const span = tracer.startSpan(
      "submit",
      traced
        ? {
            kind: SpanKind.INTERNAL,
            attributes: submitAttributes(correlationId, priority, required, mode, parts),
          }
        : { kind: SpanKind.INTERNAL },
    );
    const recording = span.isRecording();
    if (recording && !traced) {
      span.setAttributes(submitAttributes(correlationId, priority, required, mode, parts));
    }
    const ctx = traced || recording ? trace.setSpan(context.active(), span) : undefined;
    this.aggregator.startAggregation(correlationId, { expected, timeoutMs });
    const taskIds: string[] = [];
    this.#byCorrelation.set(correlationId, taskIds);
    const members = mode === "all" ? candidates.map((c) => c.id) : undefined;
    void this.aggregator.whenComplete(correlationId).then((r) => {
      // Parts still queued or running (fan-out that completed at `expected`, a timeout) end here.
      this.#forgetCorrelation(correlationId, taskIds);
      this.opts.metrics.submissionEnded(priority, r.status, r.completedAt - r.startedAt);
      if (recording) {
        span.addEvent("aggregation complete", {
          "collector_mesh.aggregation.status": r.status,
          "collector_mesh.aggregation.received": r.received,
          "collector_mesh.aggregation.duplicates": r.duplicates,
        });
        span.setAttribute("collector_mesh.aggregation.status", r.status);
        span.setAttribute("collector_mesh.aggregation.received", r.received);
      }
      endSpan(span, r.status === "failed" ? r.error?.message : undefined);
    });
    this.#counters.submitted++;
    for (let i = 0; i < parts; i++) {
      const task =
        i === 0
          ? first
          : this.distributor.createTask({
              requiredCapabilities: required,
              payload: spec.payload,
              priority,
              timeoutMs,
              correlationId,
            });
      const pinned = mode === "all" ? candidates[i]?.id : undefined;
      this.#tasks.set(task.taskId, { task, pinned, avoid: undefined, attempts: 0, ctx, members });
      taskIds.push(task.taskId);
      // Nothing is queued ahead of it: place it now, and queue it only when no instance has room.
      if (this.distributor.size() > 0 || !this.#place(task)) this.distributor.enqueue(task);
    }
    this.#pump();
    return correlationId;
  }

  /** Dispatches queued tasks while instances have capacity. */
  #pump(): void {
    this.#pumpScheduled = false;
    if (this.distributor.size() === 0) return;
    this.distributor.dispatchReady((task) => this.#place(task));
  }

  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => this.#pump());
  }

  #place(task: Task): boolean {
    const st = this.#tasks.get(task.taskId);
    if (!st) return true; // ended meanwhile (timeout): drop from the queue
    let candidates: readonly Candidate[];
    try {
      candidates = this.router.findCapable(task.requiredCapabilities);
    } catch (err) {
      this.#endTask(
        st,
        err instanceof MeshError ? err : new MeshError(ErrorCode.Internal, String(err)),
      );
      return true;
    }
    if (st.pinned !== undefined) {
      const pinned = candidates.find((c) => c.id === st.pinned);
      if (pinned) candidates = [pinned];
      else st.pinned = undefined;
    }
    if (st.avoid && candidates.length > 1) {
      // Instances that failed this task, then (a fan-out part) instances with a part of their
      // own: both are preferences, used while some other instance remains.
      const avoid = st.avoid;
      const others = candidates.filter((c) => !avoid.has(c.id));
      if (others.length > 0) candidates = others;
      const members = st.members;
      if (members && candidates.length > 1) {
        const outside = candidates.filter((c) => !members.includes(c.id));
        if (outside.length > 0) candidates = outside;
      }
    }
    if (candidates.length === 0) return false;
    const pick = this.balancer.selectCollector(task.requiredCapabilities, candidates, task.taskId);
    if (!pick) return false;
    this.#dispatch(st, pick.id);
    return true;
  }

  #dispatch(st: TaskState, collectorId: string): void {
    const now = this.opts.clock.now();
    const attempt = st.attempts;
    st.attempts++;
    const task: Task = attempt === 0 ? st.task : { ...st.task, attempt };
    st.task = task;
    // `subjects.result(id, taskId, attempt)`, without validating the id tokens again per dispatch
    // (the coordinator id was checked at construction, the task id by createTask).
    const reply = `${this.#resultPrefix}${task.taskId}.${attempt}`;
    const flight: Flight = {
      task,
      collectorId,
      attempt,
      dispatchedAt: now,
      attemptDeadline: Math.min(now + this.opts.attemptTimeoutMs, task.deadline),
    };
    this.#setFlight(flight);
    this.distributor.recordDispatched(task);
    this.opts.metrics.dispatched(task.priority, now - task.createdAt);
    // The publisher's PRODUCER span is this attempt's `dispatch` span, a child of `submit`.
    try {
      const how = { collectorId, reply, spanName: "dispatch" };
      if (st.ctx === undefined) this.#publisher.distributeTask(task, how);
      else context.with(st.ctx, () => this.#publisher.distributeTask(task, how));
    } catch (err) {
      this.#dropFlight(flight);
      this.balancer.release(collectorId, task.taskId);
      this.#endTask(
        st,
        err instanceof MeshError ? err : new MeshError(ErrorCode.Internal, String(err)),
      );
    }
  }

  #onResult(r: Result): void {
    const flight = this.#flights.get(r.taskId);
    if (
      flight &&
      flight.collectorId === r.collectorId &&
      (r.attempt === undefined || r.attempt === flight.attempt)
    ) {
      if (r.status === "error" && r.error && INSTANCE_REFUSALS.has(r.error.code)) {
        // The instance refused (draining, full, lacks a capability): move the task, keep no result.
        this.#retry(flight, r.error.message, false, r.error.code);
        return;
      }
      if (!r.final) {
        // A stream in progress is alive: its attempt deadline runs from its latest result.
        const now = this.opts.clock.now();
        flight.attemptDeadline = Math.min(now + this.opts.attemptTimeoutMs, flight.task.deadline);
      } else {
        this.#dropFlight(flight);
        this.balancer.release(flight.collectorId, r.taskId);
        this.balancer.recordSuccess(
          flight.collectorId,
          this.opts.clock.now() - flight.dispatchedAt,
        );
        const st = this.#tasks.get(r.taskId);
        if (st) {
          this.#tasks.delete(r.taskId);
          this.distributor.recordDelivered(st.task);
        }
        this.#schedulePump();
      }
    }
    this.aggregator.addResult(r);
  }

  #onNoResponders(taskId: string, attempt: number | undefined): void {
    const flight = this.#flights.get(taskId);
    if (!flight || (attempt !== undefined && flight.attempt !== attempt)) return;
    this.#counters.noResponders++;
    // Nobody listens on the instance's subject: it is gone now. Move everything it had.
    const change = this.router.markUnavailable(flight.collectorId, "no responders");
    if (change) this.#watcher.publishChange?.(change);
    this.#failInstance(flight.collectorId, "no responders");
  }

  #onErrorReply(taskId: string, attempt: number | undefined, err: MeshError): void {
    const flight = this.#flights.get(taskId);
    if (!flight || (attempt !== undefined && flight.attempt !== attempt)) return;
    const now = this.opts.clock.now();
    this.#onResult({
      taskId,
      correlationId: flight.task.correlationId,
      collectorId: flight.collectorId,
      seq: 0,
      final: true,
      status: "error",
      error: { code: err.code, message: err.message.slice(0, 1024) },
      producedAt: now,
      processingMs: now - flight.dispatchedAt,
      attempt: flight.attempt,
    });
  }

  #onRouterChange(c: RouterChange): void {
    if (c.kind === "stale" && this.#disconnectedAt !== undefined) {
      this.#deferredStale.add(c.id);
    } else if (c.kind === "stale" || c.kind === "left") {
      const reason = c.kind === "left" ? "collector left" : "heartbeat stale";
      this.#failInstance(c.id, reason, c.advert?.capabilities);
      if (c.kind === "left") {
        this.balancer.forget(c.id);
        this.#resentFrom.delete(c.id);
      }
    } else {
      this.#schedulePump();
    }
  }

  /** Moves every task in flight on `collectorId` elsewhere and publishes a FailoverEvent. */
  #failInstance(collectorId: string, reason: string, capabilities?: number): void {
    if (this.#stopped) return;
    if (this.balancer.tasksOf(collectorId).length === 0 && !this.#hasFlightsOn(collectorId)) return;
    const required = capabilities ?? this.router.get(collectorId)?.advert.capabilities ?? 0;
    let candidates: readonly Candidate[] = [];
    try {
      candidates = this.router.findCapable(required).filter((c) => c.id !== collectorId);
    } catch {
      candidates = [];
    }
    const event = this.balancer.triggerFailover(collectorId, candidates, required, reason);
    this.#counters.failovers++;
    this.opts.logger.warn(
      { failed: collectorId, target: event.failoverTargetId, tasks: event.taskIds.length, reason },
      "failover",
    );
    try {
      this.#nc.publish(this.subjects.failoverEvent(), encode(FailoverEvent, event));
    } catch (err) {
      this.opts.logger.warn({ err: String(err) }, "failover event not published");
    }
    this.#emit({ kind: "failover", event });
    const ids = new Set(event.taskIds);
    for (const taskId of this.#flightsOn.get(collectorId) ?? []) ids.add(taskId);
    for (const taskId of ids) {
      const f = this.#flights.get(taskId);
      if (f && f.collectorId === collectorId) this.#retry(f, reason, true);
    }
    this.#schedulePump();
  }

  #hasFlightsOn(collectorId: string): boolean {
    return this.#flightsOn.has(collectorId);
  }

  /** Abandons the flight and queues its task again while its deadline and attempts allow. */
  #retry(
    flight: Flight,
    reason: string,
    released: boolean,
    code: ErrorCode = ErrorCode.Timeout,
  ): void {
    const { task, collectorId } = flight;
    this.#dropFlight(flight);
    if (!released) this.balancer.release(collectorId, task.taskId);
    this.aggregator.abandonPart(task.correlationId, task.taskId, collectorId, flight.attempt);
    const st = this.#tasks.get(task.taskId);
    if (!st) return;
    (st.avoid ??= new Set()).add(collectorId);
    st.pinned = undefined;
    const now = this.opts.clock.now();
    if (now >= task.deadline) {
      // Its own deadline: the aggregation ends it as partial or timed out.
      this.#tasks.delete(task.taskId);
      this.distributor.recordTimedOut(task);
      return;
    }
    if (st.attempts >= this.opts.maxAttempts) {
      this.#endTask(
        st,
        new MeshError(code, `task ${task.taskId} gave up after ${st.attempts} attempts: ${reason}`),
      );
      return;
    }
    this.#counters.resent++;
    this.#resentFrom.set(collectorId, (this.#resentFrom.get(collectorId) ?? 0) + 1);
    try {
      this.distributor.enqueue(st.task);
    } catch (err) {
      this.#endTask(
        st,
        err instanceof MeshError ? err : new MeshError(ErrorCode.Internal, String(err)),
      );
      return;
    }
    this.#schedulePump();
  }

  /** A task that will not run: report an error part to its aggregation. */
  #endTask(st: TaskState, err: MeshError): void {
    this.#tasks.delete(st.task.taskId);
    this.distributor.remove(st.task.taskId);
    this.distributor.recordFailed(st.task);
    if (err instanceof NoCapableCollectorError) {
      this.aggregator.fail(st.task.correlationId, err);
      return;
    }
    const now = this.opts.clock.now();
    this.aggregator.addResult({
      taskId: st.task.taskId,
      correlationId: st.task.correlationId,
      collectorId: this.id,
      seq: 0,
      final: true,
      status: "error",
      error: { code: err.code, message: err.message.slice(0, 1024) },
      producedAt: now,
      processingMs: 0,
      attempt: st.attempts,
    });
  }

  /** The one timer: deadlines of queued tasks, attempts and aggregations; suspect probes. */
  #sweep(): void {
    const now = this.opts.clock.now();
    for (const t of this.distributor.sweep()) {
      const st = this.#tasks.get(t.taskId);
      if (st) this.#tasks.delete(t.taskId);
    }
    const timedOut: Flight[] = [];
    for (const f of this.#flights.values()) if (f.attemptDeadline <= now) timedOut.push(f);
    for (const f of timedOut) {
      if (this.#flights.get(f.task.taskId) !== f) continue;
      if (now >= f.task.deadline) {
        // The task's own deadline, not the instance's fault: no failure is charged.
        this.balancer.release(f.collectorId, f.task.taskId);
        this.#retry(f, "deadline", true);
        continue;
      }
      if (this.#disconnectedAt !== undefined) continue; // no result could arrive meanwhile
      this.#counters.attemptTimeouts++;
      const crossed = this.balancer.recordFailure(f.collectorId, "attempt timeout");
      if (crossed) this.#failInstance(f.collectorId, "attempt timeouts");
      else this.#retry(f, "attempt timeout", false);
    }
    this.aggregator.sweep(); // ended aggregations resolve whenComplete, which forgets their tasks
    this.#probeSuspects(now);
    if (this.distributor.size() > 0) this.#pump();
  }

  #forgetCorrelation(correlationId: string, taskIds: readonly string[]): void {
    // A new submission may reuse the id: only its own entry is removed.
    if (this.#byCorrelation.get(correlationId) === taskIds)
      this.#byCorrelation.delete(correlationId);
    for (const taskId of taskIds) {
      if (!this.#tasks.delete(taskId)) continue;
      this.distributor.remove(taskId);
      const f = this.#flights.get(taskId);
      if (f) {
        this.#dropFlight(f);
        this.balancer.release(f.collectorId, taskId);
      }
    }
  }

  #setFlight(f: Flight): void {
    this.#flights.set(f.task.taskId, f);
    let on = this.#flightsOn.get(f.collectorId);
    if (!on) this.#flightsOn.set(f.collectorId, (on = new Set()));
    on.add(f.task.taskId);
  }

  #dropFlight(f: Flight): void {
    if (this.#flights.get(f.task.taskId) === f) this.#flights.delete(f.task.taskId);
    const on = this.#flightsOn.get(f.collectorId);
    if (on) {
      on.delete(f.task.taskId);
      if (on.size === 0) this.#flightsOn.delete(f.collectorId);
    }
  }

  /**
   * While NATS is disconnected neither results nor heartbeats can arrive: attempt timeouts are
   * not charged to instances and stale instances are not failed over; on reconnect, deadlines
   * move by the outage and instances still stale after one advert TTL fail over then.
   */
  async #followConnection(): Promise<void> {
    for await (const st of this.#nc.status()) {
      if (this.#stopped) break;
      if (st.type === "disconnect") {
        this.#disconnectedAt ??= this.opts.clock.now();
      } else if (st.type === "reconnect" && this.#disconnectedAt !== undefined) {
        const outage = this.opts.clock.now() - this.#disconnectedAt;
        this.#disconnectedAt = undefined;
        for (const f of this.#flights.values()) {
          f.attemptDeadline = Math.min(f.attemptDeadline + outage, f.task.deadline);
        }
        this.opts.logger.warn({ outageMs: outage }, "NATS reconnected");
        const timer = setTimeout(() => this.#judgeDeferred(), this.opts.advertTtlMs);
        timer.unref();
      }
    }
  }

  #judgeDeferred(): void {
    if (this.#stopped || this.#disconnectedAt !== undefined) return;
    for (const id of [...this.#deferredStale]) {
      this.#deferredStale.delete(id);
      const c = this.router.get(id);
      if (c === undefined || c.health === "unavailable") this.#failInstance(id, "heartbeat stale");
    }
  }

  /** A missed heartbeat makes an instance suspect: a probe answers 503 at once if it is gone. */
  #probeSuspects(now: number): void {
    for (const id of this.router.suspects()) {
      if (!this.#hasFlightsOn(id)) continue;
      const last = this.#probing.get(id);
      if (last !== undefined && now - last < 1000) continue;
      this.#probing.set(id, now);
      this.#counters.probes++;
      this.#nc
        .request(this.subjects.collectorTask(id), new Uint8Array(0), { timeout: 1000 })
        .then(() => this.#probing.delete(id))
        .catch((err: unknown) => {
          this.#probing.delete(id);
          if (!this.#stopped && isNoResponders(err)) {
            const change = this.router.markUnavailable(id, "probe: no responders");
            if (change) this.#watcher.publishChange?.(change);
            this.#failInstance(id, "probe: no responders");
          }
        });
    }
  }

  #emit(e: CoordinatorEvent): void {
    for (const fn of this.#listeners) {
      try {
        fn(e);
      } catch (err) {
        this.opts.logger.warn(
          { err: err instanceof Error ? err.message : "error" },
          "listener threw",
        );
      }
    }
  }

  /** Messages that failed to decode or validate: results, adverts and api requests. */
  invalidMessages(): number {
    return (
      this.#inbox.stats().invalid +
      this.#watcher.stats().invalid +
      (this.#service?.invalidRequests ?? 0)
    );
  }

  /** Collectors with health, load and heartbeat age. */
  status(): StatusReply {
    const now = this.opts.clock.now();
    const collectors: CollectorStatus[] = this.router.list().map((c) => ({
      advert: c.advert,
      health: c.health,
      heartbeatAgeMs: Math.max(0, now - c.lastSeen),
      inFlight: this.balancer.load(c.id),
      capacity: c.advert.maxConcurrency,
    }));
    return { coordinatorId: this.id, collectors };
  }

  /** Every component's stats. */
  stats(): StatsReply & {
    coordinator: CoordinatorCounters & {
      inFlight: number;
      tasks: number;
      /** Re-sends by the instance the attempt was taken from. */
      resentFrom: Record<string, number>;
    };
  } {
    return {
      coordinatorId: this.id,
      routing: { ...this.router.stats(), ...this.#watcher.stats() },
      balancing: { ...this.balancer.stats() },
      distribution: { ...this.distributor.stats() },
      aggregation: { ...this.aggregator.stats() },
      coordinator: {
        ...this.#counters,
        inFlight: this.#flights.size,
        tasks: this.#tasks.size,
        resentFrom: Object.fromEntries(this.#resentFrom),
      },
    };
  }
}

export type CoordinatorEvent =
  { kind: "failover"; event: FailoverEvent } | { kind: "no-capable-collector"; required: number };

/** Error codes with which an instance refuses a task it could not run; the task moves. */
const INSTANCE_REFUSALS: ReadonlySet<string> = new Set([
  ErrorCode.Stopped,
  ErrorCode.Overloaded,
  ErrorCode.NoCapableCollector,
]);

function submitAttributes(
  correlationId: string,
  priority: TaskPriority,
  required: number,
  mode: SubmitMode,
  parts: number,
): Attributes {
  return {
    [Attr.System]: "nats",
    [Attr.ConversationId]: correlationId,
    [Attr.Priority]: priorityName(priority),
    [Attr.Capabilities]: formatCaps(required),
    "collector_mesh.submit.mode": mode,
    "collector_mesh.submit.parts": parts,
  };
}

function isNoResponders(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === "NoRespondersError" ||
    (err.cause instanceof Error && err.cause.name === "NoRespondersError") ||
    /no responders/i.test(err.message)
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
