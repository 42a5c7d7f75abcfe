import { describe, expect, it } from "vitest";
import { ManualClock } from "../src/clock.js";
import { LogOnce } from "../src/telemetry/log-once.js";

describe("logging - repeats are logged once per window", () => {
  it("logging - a storm from one source logs one line, then reports what it suppressed", () => {
    const clock = new ManualClock();
    const once = new LogOnce({ windowMs: 1000, now: () => clock.now() });
    expect(once.check("a").log).toBe(true);
    for (let i = 0; i < 500; i++) expect(once.check("a").log).toBe(false);
    expect(once.check("b").log).toBe(true);
    clock.advance(1001);
    expect(once.check("a")).toEqual({ log: true, suppressed: 500 });
  });

  it("logging - remembers a bounded number of keys", () => {
    const once = new LogOnce({ maxKeys: 3, now: () => 0 });
    for (const k of ["a", "b", "c", "d"]) expect(once.check(k).log).toBe(true);
    expect(once.check("a").log).toBe(true); // evicted as the oldest, so it logs again
    expect(once.check("d").log).toBe(false);
  });
});
