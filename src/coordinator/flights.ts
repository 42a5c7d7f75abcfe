import type { Task } from "../../subjects/index.js";
import { IndexedHeap, type HeapItem } from "../structures/heap.js";

/** One attempt of a task on one instance. */
export interface Flight extends HeapItem {
  /** The task as sent, with this attempt's number. */
  readonly task: Task;
  readonly collectorId: string;
  readonly attempt: number;
  readonly dispatchedAt: number;
  /** When the attempt counts as failed unless a result (or progress) arrives first. */
  attemptDeadline: number;
  /** Next result sequence number not seen yet from this attempt. */
  nextSeq: number;
  /**
   * It was in flight while NATS was disconnected: an answer published then was lost, so its
   * timeout is not the instance's fault.
   */
  spannedOutage?: boolean;
  /** The newer and older flights on the same instance (its list: no set per instance). */
  newerOnInstance?: Flight | undefined;
  olderOnInstance?: Flight | undefined;
}

/** Why an answer does not fit the attempt in flight: it is dropped and counted by this reason. */
export const Mismatch = {
  /** No attempt of that task is in flight here (never was, finished, or given up). */
  NotInFlight: "not-in-flight",
  /** The subject carries no attempt token. */
  NoAttemptToken: "no-attempt-token",
  /** For another attempt than the one in flight (an abandoned one, or made up). */
  OtherAttempt: "other-attempt",
  /** Names another instance than the one the attempt went to. */
  OtherInstance: "other-instance",
} as const;
export type Mismatch = (typeof Mismatch)[keyof typeof Mismatch];

/**
 * The attempts in flight: by task id, by instance, and by attempt deadline. Pure: the caller says
 * what time it is. Matching an answer to its attempt is the first check every result, error
 * reply and no-responders status passes, before anything else looks at it.
 */
export class FlightTable {
  readonly #byTask = new Map<string, Flight>();
  /** Each instance's newest flight, the head of its list (olderOnInstance onwards). */
  readonly #byInstance = new Map<string, Flight>();
  readonly #deadlines = new IndexedHeap<Flight>((a, b) => a.attemptDeadline < b.attemptDeadline);
  readonly #attemptTimeoutMs: number;

  constructor(attemptTimeoutMs: number) {
    this.#attemptTimeoutMs = attemptTimeoutMs;
  }

  get size(): number {
    return this.#byTask.size;
  }

  /** Records an attempt sent now; it replaces any earlier flight of the same task. */
  start(task: Task, collectorId: string, now: number): Flight {
    const old = this.#byTask.get(task.taskId);
    if (old !== undefined) this.drop(old);
    const f: Flight = {
      task,
      collectorId,
      attempt: task.attempt,
      dispatchedAt: now,
      attemptDeadline: Math.min(now + this.#attemptTimeoutMs, task.deadline),
      nextSeq: 0,
      heapIndex: -1,
      newerOnInstance: undefined,
      olderOnInstance: undefined,
    };
    this.#byTask.set(task.taskId, f);
    const newest = this.#byInstance.get(collectorId);
    if (newest !== undefined) {
      f.olderOnInstance = newest;
      newest.newerOnInstance = f;
    }
    this.#byInstance.set(collectorId, f);
    this.#deadlines.push(f);
    return f;
  }

  get(taskId: string): Flight | undefined {
    return this.#byTask.get(taskId);
  }

  /**
   * The flight an answer belongs to, or why it belongs to none. `attempt` is the subject's
   * attempt token; `collectorId`, when the answer names one, must be the instance the attempt
   * went to; `bodyAttempt`, when the answer carries one, must agree with the token.
   */
  match(
    taskId: string,
    attempt: number | undefined,
    collectorId?: string,
    bodyAttempt?: number,
  ): Flight | Mismatch {
    const f = this.#byTask.get(taskId);
    if (f === undefined) return Mismatch.NotInFlight;
    if (attempt === undefined) return Mismatch.NoAttemptToken;
    if (attempt !== f.attempt || (bodyAttempt !== undefined && bodyAttempt !== attempt)) {
      return Mismatch.OtherAttempt;
    }
    if (collectorId !== undefined && collectorId !== f.collectorId) return Mismatch.OtherInstance;
    return f;
  }

  /** A sign of life from the attempt (a streamed result, progress): its deadline starts again. */
  touch(f: Flight, now: number): void {
    const next = Math.min(now + this.#attemptTimeoutMs, f.task.deadline);
    if (next === f.attemptDeadline || this.#byTask.get(f.task.taskId) !== f) return;
    this.#deadlines.remove(f);
    f.attemptDeadline = next;
    this.#deadlines.push(f);
  }

  drop(f: Flight): void {
    if (this.#byTask.get(f.task.taskId) !== f) return;
    this.#byTask.delete(f.task.taskId);
    this.#deadlines.remove(f);
    const { newerOnInstance: newer, olderOnInstance: older } = f;
    if (older !== undefined) older.newerOnInstance = newer;
    if (newer !== undefined) newer.olderOnInstance = older;
    else if (older !== undefined) this.#byInstance.set(f.collectorId, older);
    else this.#byInstance.delete(f.collectorId);
    f.newerOnInstance = undefined;
    f.olderOnInstance = undefined;
  }

  /** The attempts in flight on one instance, oldest first (a copy: safe to drop them meanwhile). */
  on(collectorId: string): Flight[] {
    const out: Flight[] = [];
    for (let f = this.#byInstance.get(collectorId); f !== undefined; f = f.olderOnInstance) {
      out.push(f);
    }
    return out.reverse();
  }

  hasWork(collectorId: string): boolean {
    return this.#byInstance.has(collectorId);
  }

  /** Instances with at least one attempt in flight. */
  instances(): IterableIterator<string> {
    return this.#byInstance.keys();
  }

  /**
   * Removes and returns every flight whose attempt deadline is at or before `now`, earliest
   * first: O(k log n) for k expired, nothing for the others.
   */
  expire(now: number): Flight[] {
    const out: Flight[] = [];
    for (let f = this.#deadlines.peek(); f !== undefined && f.attemptDeadline <= now;) {
      this.drop(f);
      out.push(f);
      f = this.#deadlines.peek();
    }
    return out;
  }

  /**
   * No answer could arrive for `ms` (the event loop stalled, or NATS was disconnected): every
   * attempt gets that much more time, within its task's deadline. After an outage (`outage`)
   * answers sent meanwhile are gone: each attempt is marked as having spanned it.
   */
  extendAll(ms: number, outage = false): void {
    const all = [...this.#byTask.values()];
    this.#deadlines.clear();
    for (const f of all) {
      if (outage) f.spannedOutage = true;
      f.attemptDeadline = Math.min(f.attemptDeadline + ms, f.task.deadline);
      this.#deadlines.push(f);
    }
  }

  clear(): void {
    for (const f of this.#byTask.values()) {
      f.newerOnInstance = undefined;
      f.olderOnInstance = undefined;
    }
    this.#byTask.clear();
    this.#byInstance.clear();
    this.#deadlines.clear();
  }
}
