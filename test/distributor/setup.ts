/** A distributor on a manual clock with numbered ids, and short ways to make and drain tasks. */
import { ManualClock } from "../../src/clock.js";
import { TaskDistributor } from "../../src/distributor/index.js";
import { SourceCaps, type Task, type TaskPriority } from "../../subjects/index.js";

export const P = SourceCaps.PROCESS;
export const N = SourceCaps.NETWORK;
export const F = SourceCaps.FILESYSTEM;

export function setup(opts: ConstructorParameters<typeof TaskDistributor>[0] = {}) {
  const clock = new ManualClock();
  let n = 0;
  const d = new TaskDistributor({ newId: () => `id${++n}`, ...opts }, { clock });
  const task = (priority: TaskPriority, caps: number = P, extra: { timeoutMs?: number } = {}) =>
    d.createTask({ requiredCapabilities: caps, payload: null, priority, ...extra });
  const drain = (): Task[] => {
    const out: Task[] = [];
    d.dispatchReady((t) => (out.push(t), true));
    return out;
  };
  return { clock, d, task, drain };
}
