import type { NatsConnection } from "@nats-io/nats-core";
import { Kvm, type KV } from "@nats-io/kv";
import type { Logger } from "../telemetry/logger.js";
import { Subjects } from "../../subjects/index.js";

/** How long a leader's lease lasts without renewal (the coordinators bucket's max age). */
export const DEFAULT_LEASE_MS = 3000;
const KEY = "leader";

/**
 * Which coordinator speaks for the mesh: the one holding the `leader` key of the
 * `<p>_coordinators` bucket. It publishes collector and failover events, so each is published
 * once per mesh whatever the number of coordinators. Leadership is a lease: created when the key
 * is free, renewed by revision (compare-and-set) every third of the lease, lost when another
 * coordinator holds it. When the holder dies the key expires with the bucket's max age and the
 * next coordinator to try takes it. Without JetStream the coordinator is alone and leads.
 */
export class LeaderLease {
  readonly #nc: NatsConnection;
  readonly #bucket: string;
  readonly #id: string;
  readonly #leaseMs: number;
  readonly #logger: Logger;
  #kv: KV | undefined;
  #revision = 0;
  #leader = false;
  #alone = false;
  #lastTry = Number.NEGATIVE_INFINITY;
  #busy = false;

  constructor(
    nc: NatsConnection,
    prefix: string,
    id: string,
    logger: Logger,
    leaseMs = DEFAULT_LEASE_MS,
  ) {
    this.#nc = nc;
    this.#bucket = new Subjects(prefix).coordinatorsBucket();
    this.#id = id;
    this.#leaseMs = leaseMs;
    this.#logger = logger;
  }

  /** True while this coordinator holds the lease (or runs without JetStream, alone). */
  get leader(): boolean {
    return this.#leader || this.#alone;
  }

  async start(replicas: number): Promise<void> {
    try {
      this.#kv = await new Kvm(this.#nc).create(this.#bucket, {
        history: 1,
        ttl: this.#leaseMs,
        storage: "file",
        replicas,
      });
    } catch (err) {
      this.#alone = true;
      this.#logger.info({ err: String(err) }, "no coordinators bucket: publishing events alone");
      return;
    }
    await this.#try();
  }

  /** On the coordinator's sweep: renews or takes the lease every third of its length. */
  tick(now: number): void {
    if (this.#kv === undefined || this.#busy || now - this.#lastTry < this.#leaseMs / 3) return;
    this.#lastTry = now;
    void this.#try();
  }

  /** Gives the lease up (stopping), so another takes it at once. */
  async stop(): Promise<void> {
    const kv = this.#kv;
    this.#kv = undefined;
    if (kv === undefined || !this.#leader) return;
    this.#leader = false;
    await kv.delete(KEY, { previousSeq: this.#revision }).catch(() => undefined);
  }

  async #try(): Promise<void> {
    const kv = this.#kv;
    if (kv === undefined) return;
    this.#busy = true;
    const value = new TextEncoder().encode(this.#id);
    try {
      this.#revision = this.#leader
        ? await kv.update(KEY, value, this.#revision)
        : await kv.create(KEY, value);
      if (!this.#leader)
        this.#logger.info({ coordinatorId: this.#id }, "leading the mesh's events");
      this.#leader = true;
    } catch {
      // Another holds it (or the renewal came too late and someone took it): not the leader.
      if (this.#leader) this.#logger.info({ coordinatorId: this.#id }, "no longer leading");
      this.#leader = false;
    } finally {
      this.#busy = false;
    }
  }
}
