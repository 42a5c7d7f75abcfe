import type { Consumer, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import {
  DurableSubmission,
  PRIORITY_NAMES,
  type PriorityName,
  type Subjects,
} from "../../subjects/index.js";
import { decode } from "../codec.js";
import type { InvalidMessageError } from "../errors.js";
import type { Logger } from "../telemetry/logger.js";
import { consumerName } from "./streams.js";

/** A submission this coordinator took from the stream and has not finished. */
export interface Owned {
  readonly submission: DurableSubmission;
  readonly priority: PriorityName;
  /** Another coordinator owned it before (it died, or was too slow to say it was working). */
  readonly redelivered: boolean;
  readonly msg: JsMsg;
  /** When the stream last heard that this coordinator is working on it. */
  lastWorking: number;
}

export interface IntakeOptions {
  readonly maxOwnedPerPriority: number;
  /** The ack wait: ownership lapses unless renewed within it. */
  readonly takeoverMs: number;
  readonly logger: Logger;
  readonly now: () => number;
  /** A submission is ours now. */
  readonly onSubmission: (o: Owned) => void;
  /** A message on the stream that is not a submission: it is dropped from the stream. */
  readonly onInvalid: (err: InvalidMessageError) => void;
}

/**
 * Takes durable submissions from the stream: one pull loop per priority level, each holding at
 * most `maxOwnedPerPriority` at once, so a flood of Low work never keeps Critical waiting in the
 * stream. Ownership is the JetStream way: a submission stays un-acked while it runs, renewed with
 * in-progress acks; when its owner dies the stream redelivers it to another coordinator after the
 * ack wait.
 */
export class SubmissionIntake {
  readonly #js: JetStreamClient;
  readonly #subjects: Subjects;
  readonly #opts: IntakeOptions;
  readonly #owned = new Set<Owned>();
  readonly #ownedBy = new Map<PriorityName, number>(PRIORITY_NAMES.map((p) => [p, 0]));
  readonly #waiters = new Map<PriorityName, () => void>();
  #stopped = false;
  #loops: Promise<void>[] = [];
  /** The pull of each loop that is waiting for messages: stopped at once by stop(). */
  readonly #pulls = new Set<{ stop(): void }>();

  constructor(js: JetStreamClient, subjects: Subjects, opts: IntakeOptions) {
    this.#js = js;
    this.#subjects = subjects;
    this.#opts = opts;
  }

  get size(): number {
    return this.#owned.size;
  }

  /** Starts one pull loop per priority, Critical first. */
  start(): void {
    this.#loops = [...PRIORITY_NAMES].reverse().map((p) => this.#loop(p));
  }

  /** Stops pulling; submissions still owned are left to their ack wait (another takes them). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#waiters.values()) wake();
    for (const pull of this.#pulls) pull.stop();
    await Promise.allSettled(this.#loops);
  }

  /** Renews ownership of submissions not renewed for a third of the ack wait. */
  keepAlive(now: number): void {
    const due = now - this.#opts.takeoverMs / 3;
    for (const o of this.#owned) {
      if (o.lastWorking > due) continue;
      o.lastWorking = now;
      o.msg.working();
    }
  }

  /** The submission is finished (its verdict is stored): it leaves the stream. */
  done(o: Owned): void {
    if (!this.#owned.delete(o)) return;
    o.msg.ack();
    this.#release(o.priority);
  }

  /**
   * `old` was delivered again (its renewal came late) and the newer delivery is the one to ack:
   * the old one is forgotten, neither renewed nor counted against the priority's room.
   */
  superseded(old: Owned): void {
    if (this.#owned.delete(old)) this.#release(old.priority);
  }

  /** This coordinator gives the submission up at once (stopping): another takes it. */
  giveUp(o: Owned): void {
    if (!this.#owned.delete(o)) return;
    o.msg.nak();
    this.#release(o.priority);
  }

  #release(p: PriorityName): void {
    this.#ownedBy.set(p, (this.#ownedBy.get(p) ?? 1) - 1);
    const wake = this.#waiters.get(p);
    if (wake) {
      this.#waiters.delete(p);
      wake();
    }
  }

  #room(p: PriorityName): number {
    return this.#opts.maxOwnedPerPriority - (this.#ownedBy.get(p) ?? 0);
  }

  async #loop(p: PriorityName): Promise<void> {
    let consumer: Consumer | undefined;
    while (!this.#stopped) {
      const room = this.#room(p);
      if (room <= 0) {
        await new Promise<void>((r) => this.#waiters.set(p, r));
        continue;
      }
      try {
        consumer ??= await this.#js.consumers.get(
          this.#subjects.submissionsStream(),
          consumerName(p),
        );
        const batch = await consumer.fetch({ max_messages: Math.min(room, 256), expires: 5000 });
        this.#pulls.add(batch);
        try {
          for await (const m of batch) this.#take(m, p);
        } finally {
          this.#pulls.delete(batch);
        }
      } catch (err) {
        if (this.#stopped) break;
        consumer = undefined;
        this.#opts.logger.warn({ priority: p, err: String(err) }, "submission intake: retrying");
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  #take(m: JsMsg, p: PriorityName): void {
    let submission: DurableSubmission;
    try {
      submission = decode(DurableSubmission, m.data, { subject: m.subject });
    } catch (err) {
      m.term();
      this.#opts.onInvalid(err as InvalidMessageError);
      return;
    }
    const o: Owned = {
      submission,
      priority: p,
      redelivered: m.redelivered,
      msg: m,
      lastWorking: this.#opts.now(),
    };
    this.#owned.add(o);
    this.#ownedBy.set(p, (this.#ownedBy.get(p) ?? 0) + 1);
    this.#opts.onSubmission(o);
  }
}
