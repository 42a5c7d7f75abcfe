import { ErrorCode, formatCaps, type Task } from "../../subjects/index.js";
import { MeshError, NoCapableCollectorError } from "../errors.js";
import type { CapabilityRouter } from "../router/index.js";
import type { LoadBalancer } from "../balancer/index.js";
import type { TaskDistributor } from "../distributor/index.js";
import type { TaskLedger, TaskEntry } from "./ledger.js";
import { noMatch, placeTargeted, routableFits, type Targeting } from "./targeting.js";

/** What the dispatcher needs done on NATS, and whom it tells about tasks it cannot place. */
export interface DispatcherPort {
  /** Sends `task` (the attempt the ledger made) to `collectorId`; throws when it cannot. */
  send(entry: TaskEntry, task: Task, collectorId: string): void;
  /** The task will not run: a `one` task no instance can take, a send that failed. */
  unplaceable(entry: TaskEntry, err: MeshError): void;
  /** A fan-out part whose instance is unavailable or gone. */
  ownerGone(entry: TaskEntry, reason: string): void;
}

export interface DispatcherParts {
  readonly router: CapabilityRouter;
  readonly balancer: LoadBalancer;
  readonly distributor: TaskDistributor;
  readonly ledger: TaskLedger;
}

/**
 * Gets tasks onto instances: a `one` task to the instance the balancer picks (avoiding those that
 * failed it), queued by priority while none has room; a fan-out part to the one instance it
 * belongs to, waiting for room there (so a full instance holds back only its own parts).
 */
export class Dispatcher {
  readonly #p: DispatcherParts;
  readonly #port: DispatcherPort;
  /** Fan-out parts waiting for room on the instance they belong to. */
  readonly #waiting = new Map<string, TaskEntry[]>();
  #pumpScheduled = false;

  constructor(parts: DispatcherParts, port: DispatcherPort) {
    this.#p = parts;
    this.#port = port;
  }

  /**
   * Who a submit goes to: undefined for `one` (the balancer picks at dispatch), the instance of
   * each part for a fan-out (those the balancer would use now: an ejected one would hold its part
   * back). NoCapableCollectorError when nobody advertises `required`, or a fan-out finds no one.
   */
  targets(required: number, all: boolean, target?: Targeting): string[] | undefined {
    const { balancer } = this.#p;
    const narrowed = target !== undefined && (target.where ?? target.collectors) !== undefined;
    if (!all) {
      if (balancer.capable(required) === 0) {
        throw new NoCapableCollectorError(required, formatCaps(required));
      }
      if (narrowed && routableFits(this.#p, target, required).length === 0) {
        throw noMatch(required, target);
      }
      return undefined;
    }
    const routable = narrowed
      ? routableFits(this.#p, target, required)
      : balancer.routable(required);
    const usable = routable.filter((id) => !balancer.isEjected(id));
    const ids = usable.length > 0 ? usable : [...routable];
    if (ids.length === 0) {
      if (narrowed) throw noMatch(required, target);
      throw new NoCapableCollectorError(required, formatCaps(required));
    }
    return ids;
  }

  /** A new or re-sent task: placed now when possible, else queued (OverloadedError past the bound). */
  submit(entry: TaskEntry): void {
    if (entry.owner !== undefined) {
      this.#placeOwned(entry);
      return;
    }
    // Nothing is queued ahead of it: place it now, and queue it only when no instance has room.
    const { distributor } = this.#p;
    if (distributor.size() > 0 || !this.#place(entry.task)) distributor.enqueue(entry.task);
  }

  /** Dispatches queued tasks while instances have capacity. */
  pump(): void {
    this.#pumpScheduled = false;
    const { distributor } = this.#p;
    if (distributor.size() > 0) distributor.dispatchReady((task) => this.#place(task));
  }

  schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => this.pump());
  }

  /** `collectorId` has room again (or came back): its waiting parts go first, then the queue. */
  freed(collectorId: string): void {
    const waiting = this.#waiting.get(collectorId);
    if (waiting !== undefined) {
      this.#waiting.delete(collectorId);
      for (const entry of waiting)
        if (this.#p.ledger.has(entry.task.taskId)) this.#placeOwned(entry);
    }
    this.schedulePump();
  }

  /** The parts waiting for `collectorId` (now gone): taken out, for the caller to report. */
  takeWaiting(collectorId: string): TaskEntry[] {
    const waiting = this.#waiting.get(collectorId) ?? [];
    this.#waiting.delete(collectorId);
    return waiting.filter((e) => this.#p.ledger.has(e.task.taskId));
  }

  clear(): void {
    this.#waiting.clear();
  }

  #place(task: Task): boolean {
    const { ledger, balancer } = this.#p;
    const entry = ledger.get(task.taskId);
    if (entry === undefined) return true; // ended meanwhile (timeout): drop from the queue
    const { requiredCapabilities: required, taskId } = task;
    const target = entry.submission.target;
    if (target !== undefined) return this.#placeTargeted(entry, target);
    // Instances that failed this task are passed over while another can take it.
    const pick = balancer.selectCollector(required, taskId, entry.avoid);
    if (pick !== undefined) {
      this.#dispatch(entry, pick);
      return true;
    }
    if (balancer.capable(required) === 0) {
      this.#port.unplaceable(entry, new NoCapableCollectorError(required, formatCaps(required)));
      return true;
    }
    return false;
  }

  #placeTargeted(entry: TaskEntry, target: Targeting): boolean {
    const { requiredCapabilities: required, taskId } = entry.task;
    if (this.#p.balancer.capable(required) === 0) {
      this.#port.unplaceable(entry, new NoCapableCollectorError(required, formatCaps(required)));
      return true;
    }
    const pick = placeTargeted(this.#p, target, required, taskId, entry.avoid);
    if (pick === null) {
      this.#port.unplaceable(entry, noMatch(required, target));
      return true;
    }
    if (pick === undefined) return false;
    this.#dispatch(entry, pick);
    return true;
  }

  #placeOwned(entry: TaskEntry): void {
    const owner = entry.owner as string;
    const { balancer, router } = this.#p;
    if (!balancer.isRoutable(owner)) {
      const gone = router.get(owner) === undefined;
      this.#port.ownerGone(entry, gone ? "collector left" : "collector unavailable");
      return;
    }
    if (balancer.assign(owner, entry.task.taskId)) {
      this.#dispatch(entry, owner);
      return;
    }
    let waiting = this.#waiting.get(owner);
    if (waiting === undefined) this.#waiting.set(owner, (waiting = []));
    waiting.push(entry);
  }

  #dispatch(entry: TaskEntry, collectorId: string): void {
    const task = this.#p.ledger.nextAttempt(entry);
    try {
      this.#port.send(entry, task, collectorId);
    } catch (err) {
      this.#p.balancer.release(collectorId, task.taskId);
      this.#port.unplaceable(
        entry,
        err instanceof MeshError ? err : new MeshError(ErrorCode.Internal, String(err)),
      );
    }
  }
}
