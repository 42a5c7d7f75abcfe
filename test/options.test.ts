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
});
