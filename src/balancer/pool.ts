import type { Instance } from "./instance.js";
import type { StrategyPool } from "./types.js";

/**
 * The balancer's view of one capability set (`required`): the registered instances advertising
 * it, counted by state, and the strategy's index of those that can take a task now. Kept up to
 * date by the balancer as instances change; never rebuilt from a list.
 */
export class Pool {
  readonly required: number;
  readonly index: StrategyPool;
  /** Registered instances whose capabilities contain `required`, in any health. */
  capable = 0;
  /** Of those, the routable ones (not Unavailable). */
  routable = 0;
  /** Of the routable ones, those inside their ejection time. */
  ejected = 0;
  /** Of the routable ones, those whose breaker is not closed (ejected or half-open). */
  open = 0;
  #ids: readonly string[] | undefined = undefined;

  constructor(required: number, index: StrategyPool) {
    this.required = required;
    this.index = index;
  }

  /** The routable members changed: the id list is made again when next asked for. */
  membersChanged(): void {
    this.#ids = undefined;
  }

  /** Ids of the routable members, sorted; `all` is every instance the balancer knows. */
  routableIds(all: Iterable<Instance>): readonly string[] {
    if (this.#ids === undefined) {
      const ids: string[] = [];
      for (const s of all) if (s.routable && this.has(s)) ids.push(s.id);
      this.#ids = Object.freeze(ids.sort());
    }
    return this.#ids;
  }

  /** `s` is a registered instance advertising every bit of `required`. */
  has(s: Instance): boolean {
    return s.registered && (s.capabilities & this.required) === this.required;
  }
}
