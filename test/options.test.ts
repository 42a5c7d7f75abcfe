/** Every component takes its options once, over its own defaults, and refuses keys it does not know. */
import { describe, expect, it } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { InvalidArgumentError } from "../src/errors.js";
import { defaultCoordinatorOptions, parseCoordinatorOptions } from "../src/coordinator/index.js";
import { parseCollectorOptions } from "../src/collector/options.js";
import { parseRouterOptions } from "../src/router/options.js";
import { parseAggregatorOptions } from "../src/aggregator/options.js";
import { parseDistributorOptions } from "../src/distributor/options.js";
import { DEFAULT_TTL_MS } from "../src/collector/options.js";
import { defaultDurableOptions, parseDurableOptions } from "../src/durable/options.js";
import { defaultHuntRunnerOptions, parseHuntRunnerOptions } from "../src/hunts/options.js";
import { defaultClientOptions, parseClientOptions } from "../src/client/options.js";
import { defaultAggregatorOptions } from "../src/aggregator/options.js";
import { DEFAULT_ADVERT_TTL_MS } from "../src/router/options.js";

const nc = {} as NatsConnection;

describe("options - one place for defaults, unknown keys refused", () => {
  it("options - a misspelt option is refused with its name and the known ones", () => {
    const cases: [string, () => unknown][] = [
      ["attemptTimeoutMS", () => parseCoordinatorOptions({ nc, attemptTimeoutMS: 1 } as never)],
      [
        "heartbeat",
        () =>
          parseCollectorOptions({
            id: "c",
            type: "t",
            capabilities: 1,
            handler: () => 1,
            heartbeat: 5,
          } as never),
      ],
      ["suspectAfter", () => parseRouterOptions({ suspectAfter: 10 } as never)],
      ["ringSize", () => parseAggregatorOptions({ ringSize: 1 } as never)],
      ["maxQueue", () => parseDistributorOptions({ maxQueue: 1 } as never)],
      ["batchAfter", () => parseCoordinatorOptions({ nc, adverts: { batchAfter: 1 } } as never)],
    ];
    for (const [key, parse] of cases) {
      let err: unknown;
      try {
        parse();
      } catch (e) {
        err = e;
      }
      expect(err, key).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).property).toBe(key);
      expect((err as Error).message).toMatch(/is not a \w+ option \(known: /);
    }
  });

  it("options - the coordinator reaches every component's options, and undefined keeps a default", () => {
    const o = parseCoordinatorOptions({
      nc,
      attemptTimeoutMs: undefined,
      router: { suspectAfterMs: 700 },
      balancer: { failoverThreshold: 7 },
      aggregator: { completedRingSize: 5 },
      adverts: { batchAbove: 50 },
    });
    expect(o.adverts).toEqual({ batchAbove: 50 });
    expect(o.attemptTimeoutMs).toBe(defaultCoordinatorOptions().attemptTimeoutMs);
    expect(o.router).toEqual({ suspectAfterMs: 700 });
    expect(o.balancer).toEqual({ failoverThreshold: 7 });
    expect(o.aggregator).toEqual({ completedRingSize: 5 });
    // One advert TTL for coordinators and collectors.
    expect(o.advertTtlMs).toBe(DEFAULT_ADVERT_TTL_MS);
    expect(DEFAULT_TTL_MS).toBe(DEFAULT_ADVERT_TTL_MS);
  });

  it("options - every number a count component takes is refused unless a positive integer", () => {
    const components: [string, Record<string, unknown>, (p: Record<string, unknown>) => unknown][] =
      [
        ["aggregator", { ...defaultAggregatorOptions() }, (p) => parseAggregatorOptions(p)],
        ["durable", { ...defaultDurableOptions() }, (p) => parseDurableOptions(p)],
        ["hunts", { ...defaultHuntRunnerOptions() }, (p) => parseHuntRunnerOptions(p)],
        ["client", { ...defaultClientOptions() }, (p) => parseClientOptions(p)],
      ];
    let checked = 0;
    for (const [name, defaults, parse] of components) {
      const numbers = Object.entries(defaults).filter(([, v]) => typeof v === "number");
      expect(numbers.length, name).toBeGreaterThan(0);
      for (const [key, v] of numbers) {
        for (const bad of [0, -1, 1.5, "10", NaN]) {
          expect(() => parse({ [key]: bad }), `${name}.${key} = ${String(bad)}`).toThrow(
            new RegExp(`^'${key}' must be a positive integer`),
          );
        }
        expect(parse({ [key]: v }), `${name}.${key}`).toMatchObject({ [key]: v });
        checked++;
      }
    }
    // 7 aggregator, 7 durable, 9 hunt runner and 3 client numbers.
    expect(checked).toBe(26);
    // Replicas (no number by default: the cluster size) keep their own check.
    expect(() => parseDurableOptions({ replicas: 0 })).toThrow(/replicas/);
    expect(parseHuntRunnerOptions({ replicas: 3 }).replicas).toBe(3);
  });
});
