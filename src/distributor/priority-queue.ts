import type { Task, TaskPriority } from "../../subjects/index.js";
import { IndexedHeap, type HeapItem } from "../structures/heap.js";
import type { PlaceFn } from "./types.js";

const CRITICAL = 3;

/** A queued task. Sits in one level list (FIFO) and in the deadline heap. */
interface Node extends HeapItem {
  readonly task: Task;
  /** Enqueue order, global: FIFO and tie-break. */
  readonly seq: number;
  readonly enqueuedAt: number;
  list: LevelList | undefined;
  prev: Node | undefined;
  next: Node | undefined;
}

/** Tasks of one capability set and one base priority, oldest first. */
class LevelList implements HeapItem {
  head: Node | undefined;
  tail: Node | undefined;
  heapIndex = -1;
  /** Key of `head` when pushed on the walk heap. */
  keyLevel = 0;
  keySeq = 0;
  constructor(
    readonly group: CapsGroup,
    readonly level: TaskPriority,
  ) {}
}

/** Every queued task needing one exact capability set. */
class CapsGroup {
  readonly lists: readonly LevelList[];
  size = 0;
  /** Id of the walk in which `place` refused this set. */
  blockedWalk = 0;
  constructor(readonly caps: number) {
    this.lists = [0, 1, 2, 3].map((l) => new LevelList(this, l as TaskPriority));
  }
}

const byKey = (a: LevelList, b: LevelList): boolean =>
  a.keyLevel > b.keyLevel || (a.keyLevel === b.keyLevel && a.keySeq < b.keySeq);
const byDeadline = (a: Node, b: Node): boolean =>
  a.task.deadline < b.task.deadline || (a.task.deadline === b.task.deadline && a.seq < b.seq);

/**
 * The distributor's queue: per capability set, one FIFO list per priority level; a task's
 * effective level is its priority raised one level per `agingMs` waited (capped at Critical).
 * Within a list the head is the oldest task and so has the highest effective level, which makes
 * the global order a merge of list heads: effective level first, then enqueue order.
 *
 * `walk` merges the heads with a small heap; a refused capability set drops out of the walk
 * whole, so a walk in which nothing fits costs O(lists), not O(tasks). Deadlines sit in an
 * indexed min-heap: an expiry sweep touches only expired tasks. Pure and synchronous.
 */
export class PriorityQueue {
  readonly #agingMs: number;
  readonly #byId = new Map<string, Node>();
  readonly #groups = new Map<number, CapsGroup>();
  readonly #nonEmpty = new Set<CapsGroup>();
  readonly #deadlines = new IndexedHeap<Node>(byDeadline);
  readonly #walkHeap = new IndexedHeap<LevelList>(byKey);
  readonly #perLevel = [0, 0, 0, 0];
  #seq = 0;
  #walkId = 0;

  constructor(agingMs: number) {
    this.#agingMs = agingMs;
  }

  get size(): number {
    return this.#byId.size;
  }

  has(taskId: string): boolean {
    return this.#byId.has(taskId);
  }

  /** Queued tasks of a base priority. */
  pendingAt(level: TaskPriority): number {
    return this.#perLevel[level] as number;
  }

  /** The level a task queued at `enqueuedAt` with base `level` has at `now`. */
  effectiveLevel(level: number, enqueuedAt: number, now: number): number {
    if (level >= CRITICAL) return CRITICAL;
    const waited = now - enqueuedAt;
    if (waited < this.#agingMs) return level;
    return Math.min(CRITICAL, level + Math.floor(waited / this.#agingMs));
  }

  /** Appends a task; the caller has checked that its id is not queued. */
  add(task: Task, now: number): void {
    let group = this.#groups.get(task.requiredCapabilities);
    if (group === undefined) {
      group = new CapsGroup(task.requiredCapabilities);
      this.#groups.set(task.requiredCapabilities, group);
    }
    const list = group.lists[task.priority] as LevelList;
    const node: Node = {
      task,
      seq: ++this.#seq,
      enqueuedAt: now,
      list,
      prev: list.tail,
      next: undefined,
      heapIndex: -1,
    };
    if (list.tail) list.tail.next = node;
    else list.head = node;
    list.tail = node;
    if (group.size++ === 0) this.#nonEmpty.add(group);
    (this.#perLevel[task.priority] as number)++;
    this.#byId.set(task.taskId, node);
    this.#deadlines.push(node);
  }

  remove(taskId: string): Task | undefined {
    const node = this.#byId.get(taskId);
    if (node === undefined) return undefined;
    this.#unlink(node);
    return node.task;
  }

  /** When the task was enqueued, or undefined when it is not queued. */
  enqueuedAt(taskId: string): number | undefined {
    return this.#byId.get(taskId)?.enqueuedAt;
  }

  /**
   * Offers queued tasks to `place` in effective priority order. A refused capability set is
   * skipped for the rest of the walk; others are still tried. Returns how many were placed.
   * `onPlaced(task, enqueuedAt)` runs for each placed task after it left the queue.
   */
  walk(now: number, place: PlaceFn, onPlaced: (task: Task, enqueuedAt: number) => void): number {
    const walkId = ++this.#walkId;
    const heap = this.#walkHeap;
    heap.clear();
    for (const group of this.#nonEmpty) {
      for (const list of group.lists) if (list.head) this.#pushHead(list, now);
    }
    let placed = 0;
    try {
      for (let list = heap.pop(); list !== undefined; list = heap.pop()) {
        if (list.group.blockedWalk === walkId) continue;
        const node = list.head;
        if (node === undefined) continue;
        if (node.seq !== list.keySeq) {
          // `place` changed this list re-entrantly: re-key its new head.
          this.#pushHead(list, now);
          continue;
        }
        if (!place(node.task)) {
          list.group.blockedWalk = walkId;
          continue;
        }
        if (node.list !== undefined) this.#unlink(node);
        placed++;
        onPlaced(node.task, node.enqueuedAt);
        if (list.head) this.#pushHead(list, now);
      }
    } finally {
      heap.clear();
    }
    return placed;
  }

  /** Removes and returns the task that comes first now, if any. */
  shift(now: number): { task: Task; enqueuedAt: number } | undefined {
    let best: Node | undefined;
    let bestLevel = -1;
    for (const group of this.#nonEmpty) {
      for (const list of group.lists) {
        const n = list.head;
        if (n === undefined) continue;
        const lvl = this.effectiveLevel(list.level, n.enqueuedAt, now);
        if (lvl > bestLevel || (lvl === bestLevel && best !== undefined && n.seq < best.seq)) {
          best = n;
          bestLevel = lvl;
        }
      }
    }
    if (best === undefined) return undefined;
    this.#unlink(best);
    return { task: best.task, enqueuedAt: best.enqueuedAt };
  }

  /** Removes and returns every task whose deadline is at or before `now`, earliest first. */
  expire(now: number): Task[] {
    const out: Task[] = [];
    for (let n = this.#deadlines.peek(); n !== undefined && n.task.deadline <= now;) {
      this.#unlink(n);
      out.push(n.task);
      n = this.#deadlines.peek();
    }
    return out;
  }

  #pushHead(list: LevelList, now: number): void {
    const head = list.head as Node;
    list.keyLevel = this.effectiveLevel(list.level, head.enqueuedAt, now);
    list.keySeq = head.seq;
    this.#walkHeap.push(list);
  }

  #unlink(node: Node): void {
    const list = node.list;
    if (list === undefined) return;
    if (node.prev) node.prev.next = node.next;
    else list.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else list.tail = node.prev;
    node.list = node.prev = node.next = undefined;
    if (--list.group.size === 0) this.#nonEmpty.delete(list.group);
    (this.#perLevel[list.level] as number)--;
    this.#byId.delete(node.task.taskId);
    this.#deadlines.remove(node);
  }
}
