import { describe, expect, it } from "vitest";
import { seededRng } from "../../src/clock.js";
import { InvalidArgumentError, UnknownStrategyError } from "../../src/errors.js";
import {
  DEFAULT_FAILOVER_THRESHOLD,
  LoadBalancer,
  RoundRobinStrategy,
  defaultBalancerOptions,
  parseBalancerOptions,
  registerStrategy,
  resolveStrategy,
  strategyNames,
} from "../../src/balancer/index.js";
import { cand } from "./support.js";

describe("balancer - options", () => {
  it("balancer - defaults: least-connections, 3 failures, 5 s doubling ejections, half at most", () => {
    expect(defaultBalancerOptions()).toEqual({
      strategy: "least-connections",
      failoverThreshold: 3,
      ejectionBaseMs: 5000,
      ejectionMaxMs: 300_000,
      maxEjectedShare: 0.5,
      defaultCapacity: 10,
      ewmaDecayMs: 10_000,
      ewmaDefaultLatencyMs: 100,
    });
    expect(defaultBalancerOptions()).not.toBe(defaultBalancerOptions());
    expect(new LoadBalancer().options.failoverThreshold).toBe(DEFAULT_FAILOVER_THRESHOLD);
  });

  it("balancer - options merge over the defaults, undefined keeps the default", () => {
    const o = parseBalancerOptions({ failoverThreshold: 5, strategy: undefined });
    expect(o.failoverThreshold).toBe(5);
    expect(o.strategy).toBe("least-connections");
  });

  const bad: [string, Record<string, unknown>][] = [
    ["failoverThreshold", { failoverThreshold: 0 }],
    ["failoverThreshold", { failoverThreshold: 1.5 }],
    ["defaultCapacity", { defaultCapacity: 0 }],
    ["ejectionBaseMs", { ejectionBaseMs: -1 }],
    ["ejectionMaxMs", { ejectionBaseMs: 10_000, ejectionMaxMs: 5000 }],
    ["maxEjectedShare", { maxEjectedShare: 1.5 }],
    ["maxEjectedShare", { maxEjectedShare: Number.NaN }],
    ["ewmaDecayMs", { ewmaDecayMs: 0 }],
    ["strategy", { strategy: 42 }],
    ["strategy", { strategy: { type: "" } }],
    ["failoverTreshold", { failoverTreshold: 2 }],
  ];
  for (const [prop, partial] of bad) {
    it(`balancer - rejects ${JSON.stringify(partial)} naming '${prop}'`, () => {
      const err = (() => {
        try {
          new LoadBalancer(partial);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).property).toBe(prop);
    });
  }
});

describe("balancer - strategy registry", () => {
  it("balancer - unknown strategy name is an UnknownStrategyError listing the known ones", () => {
    expect(() => resolveStrategy("fastest")).toThrow(UnknownStrategyError);
    expect(() => new LoadBalancer({ strategy: "fastest" })).toThrow(UnknownStrategyError);
    expect(() => new LoadBalancer({ strategy: { type: "fastest" } })).toThrow(UnknownStrategyError);
    try {
      resolveStrategy("fastest");
    } catch (e) {
      expect((e as UnknownStrategyError).strategy).toBe("fastest");
      expect((e as UnknownStrategyError).code).toBe("UNKNOWN_STRATEGY");
      expect((e as Error).message).toContain("least-connections");
    }
  });

  it("balancer - strategy names resolve in any case and spelling of the crate's enum", () => {
    const names: [string, string][] = [
      ["ROUND-ROBIN", "round-robin"],
      ["RoundRobin", "round-robin"],
      ["least_connections", "least-connections"],
      ["LeastConnections", "least-connections"],
      ["WeightedRoundRobin", "weighted-round-robin"],
      ["Random", "random"],
      ["p2c", "p2c-ewma"],
      ["P2C-EWMA", "p2c-ewma"],
    ];
    for (const [given, name] of names) expect(resolveStrategy(given).name).toBe(name);
    expect(resolveStrategy({ type: "Least-Connections" }).name).toBe("least-connections");
    expect(resolveStrategy().name).toBe("least-connections");
  });

  it("balancer - a strategy instance is used as it is", () => {
    const s = new RoundRobinStrategy();
    expect(resolveStrategy(s)).toBe(s);
    expect(new LoadBalancer({ strategy: s }).strategy).toBe(s);
  });

  it("balancer - registerStrategy adds a strategy found by name with its options", () => {
    registerStrategy("Last-Id", (opts, deps) => ({
      name: `last-id${typeof opts.suffix === "string" ? opts.suffix : ""}`,
      select: (c) => {
        deps.rng();
        return [...c].sort((a, b) => (a.id < b.id ? 1 : -1))[0];
      },
    }));
    expect(strategyNames()).toContain("Last-Id");
    const lb = new LoadBalancer(
      { strategy: { type: "LAST_ID", suffix: "!" } },
      { rng: seededRng(1) },
    );
    expect(lb.strategy.name).toBe("last-id!");
    expect(lb.selectCollector(0, [cand("a"), cand("c"), cand("b")])?.id).toBe("c");
    expect(() => registerStrategy("", () => new RoundRobinStrategy())).toThrow(
      InvalidArgumentError,
    );
  });
});
