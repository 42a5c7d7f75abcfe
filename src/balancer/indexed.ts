import type { CandidateSet } from "./candidate-set.js";
import type { LoadBalancingStrategy, TaskView } from "./types.js";

/** Key of the method with which a built-in strategy picks from an indexed candidate set. */
export const pickIndexed = Symbol("collector-mesh.balancer.pickIndexed");

/**
 * A strategy that also picks straight from the balancer's index of a candidate list, without the
 * list of available candidates being built. `[pickIndexed]` must return the list position of
 * exactly the candidate that `select` would return given the available members in list order,
 * and change the strategy's state exactly as `select` would. The balancer calls it only when at
 * least one member can take the task.
 */
export interface IndexedStrategy extends LoadBalancingStrategy {
  [pickIndexed](set: CandidateSet, task: TaskView): number;
}

/**
 * `s` as an IndexedStrategy, or undefined: when it has no `[pickIndexed]`, or when a subclass
 * replaced the `select` that `[pickIndexed]` mirrors (the subclass's select must decide then).
 */
export function indexedStrategy(s: LoadBalancingStrategy): IndexedStrategy | undefined {
  if (typeof (s as Partial<IndexedStrategy>)[pickIndexed] !== "function") return undefined;
  let owner: unknown = Object.getPrototypeOf(s);
  while (owner !== null && !Object.prototype.hasOwnProperty.call(owner, pickIndexed)) {
    owner = Object.getPrototypeOf(owner);
  }
  if (owner === null || (owner as LoadBalancingStrategy).select !== s.select) return undefined;
  return s as IndexedStrategy;
}
