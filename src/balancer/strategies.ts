import { defaultDeps, type Deps } from "../clock.js";
import { InvalidArgumentError, UnknownStrategyError } from "../errors.js";
import { DEFAULT_STRATEGY } from "./options.js";
import { LeastConnectionsStrategy } from "./strategies/least-connections.js";
import { createP2cEwma } from "./strategies/p2c-ewma.js";
import { RandomStrategy } from "./strategies/random.js";
import { RoundRobinStrategy } from "./strategies/round-robin.js";
import { WeightedRoundRobinStrategy } from "./strategies/weighted-round-robin.js";
import type {
  LoadBalancingStrategy,
  StrategyFactory,
  StrategyOptions,
  StrategySpec,
} from "./types.js";

/** Built-in strategy names. */
export const StrategyName = {
  RoundRobin: "round-robin",
  LeastConnections: "least-connections",
  WeightedRoundRobin: "weighted-round-robin",
  Random: "random",
  P2cEwma: "p2c-ewma",
} as const;
export type StrategyName = (typeof StrategyName)[keyof typeof StrategyName];

const factories = new Map<string, { name: string; factory: StrategyFactory }>();
const aliases = new Map<string, string>([["p2c", StrategyName.P2cEwma]]);

/** `"RoundRobin"`, `"round_robin"` and `"round-robin"` all name the same strategy. */
function key(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[-_\s]/g, "");
}

/** Adds (or replaces) a strategy that `resolveStrategy` finds by `name` in any case. */
export function registerStrategy(name: string, factory: StrategyFactory): void {
  if (typeof name !== "string" || key(name) === "") {
    throw new InvalidArgumentError("name", "must be a non-empty strategy name");
  }
  if (typeof factory !== "function") {
    throw new InvalidArgumentError("factory", "must be a function (opts, deps) => strategy");
  }
  factories.set(key(name), { name: name.trim(), factory });
}

/** Names `resolveStrategy` knows, as registered. */
export function strategyNames(): string[] {
  return [...factories.values()].map((f) => f.name);
}

registerStrategy(StrategyName.RoundRobin, () => new RoundRobinStrategy());
registerStrategy(StrategyName.LeastConnections, () => new LeastConnectionsStrategy());
registerStrategy(StrategyName.WeightedRoundRobin, () => new WeightedRoundRobinStrategy());
registerStrategy(StrategyName.Random, (_opts, deps) => new RandomStrategy(deps.rng));
registerStrategy(StrategyName.P2cEwma, createP2cEwma);

function isStrategy(s: unknown): s is LoadBalancingStrategy {
  return (
    typeof s === "object" &&
    s !== null &&
    typeof (s as LoadBalancingStrategy).createPool === "function" &&
    typeof (s as LoadBalancingStrategy).name === "string"
  );
}

/**
 * A strategy from a name (any case; `p2c` for `p2c-ewma`), from `{ type, ...options }`, or the
 * instance itself. `defaults` are options under the spec's own (the balancer passes its EWMA
 * settings). Throws UnknownStrategyError for a name nobody registered.
 */
export function resolveStrategy(
  spec: StrategySpec = DEFAULT_STRATEGY,
  deps: Partial<Deps> = {},
  defaults: StrategyOptions = {},
): LoadBalancingStrategy {
  if (isStrategy(spec)) return spec;
  let name: string;
  let opts: StrategyOptions = defaults;
  if (typeof spec === "string") {
    name = spec;
  } else if (typeof spec === "object" && spec !== null && typeof spec.type === "string") {
    const { type, ...rest } = spec;
    name = type;
    opts = { ...defaults, ...rest };
  } else {
    throw new InvalidArgumentError(
      "strategy",
      "must be a strategy name, { type, ...options } or a strategy object",
    );
  }
  const k = key(name);
  const alias = aliases.get(k);
  const entry = factories.get(k) ?? (alias !== undefined ? factories.get(key(alias)) : undefined);
  if (entry === undefined) throw new UnknownStrategyError(name, strategyNames());
  const strategy = entry.factory(opts, defaultDeps(deps));
  if (!isStrategy(strategy)) {
    throw new InvalidArgumentError("strategy", `factory of '${entry.name}' returned no strategy`);
  }
  return strategy;
}
