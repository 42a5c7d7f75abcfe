import { describe, expect, it } from "vitest";
import { CollectorAdvert, SubmitRequest } from "../../subjects/index.js";
import { DEFAULT_PROGRESS_MS } from "../../src/collector/options.js";
import {
  ATTEMPT_TIMEOUT,
  COLLECTOR_PROGRESS_MS,
  LABELS,
  MAX_CONCURRENCY,
  MAX_EXPECTED,
  TASK_TIMEOUT,
} from "../../src/cli/limits.js";
import { countArg, durationArg, collectLabel } from "../../src/cli/parse.js";
import { durationArgText, formatMs } from "../../src/cli/format.js";
import { huntCommand } from "../../src/cli/commands/hunt.js";
import { MAX_HUNT_LIFE_MS } from "../../subjects/index.js";

/**
 * The command's bounds agree with the wire contract: what the command accepts, the schema accepts,
 * so a value is refused in the command's words or not at all.
 */

const base = { requiredCapabilities: 1 };

describe("cli limits", () => {
  it("cli - --timeout and --expected bounds are SubmitRequest's", () => {
    expect(SubmitRequest.safeParse({ ...base, timeoutMs: TASK_TIMEOUT.max }).success).toBe(true);
    expect(SubmitRequest.safeParse({ ...base, timeoutMs: TASK_TIMEOUT.max + 1 }).success).toBe(
      false,
    );
    expect(SubmitRequest.safeParse({ ...base, expected: MAX_EXPECTED }).success).toBe(true);
    expect(SubmitRequest.safeParse({ ...base, expected: MAX_EXPECTED + 1 }).success).toBe(false);
    expect(durationArg(TASK_TIMEOUT)("1h")).toBe(TASK_TIMEOUT.max);
    expect(() => durationArg(TASK_TIMEOUT)("3600001")).toThrow("Use at most 1h.");
    expect(countArg(MAX_EXPECTED)("10000")).toBe(MAX_EXPECTED);
    expect(() => countArg(MAX_EXPECTED)("10001")).toThrow("Use at most 10,000.");
  });

  it("cli - --max-concurrency and --label bounds are CollectorAdvert's", () => {
    const advert = {
      id: "a",
      type: "t",
      capabilities: 1,
      version: "1",
      health: "healthy",
      maxConcurrency: MAX_CONCURRENCY,
      inFlight: 0,
      labels: {},
      startedAt: 0,
      heartbeatSeq: 0,
      heartbeatAt: 0,
    };
    expect(CollectorAdvert.safeParse(advert).success).toBe(true);
    expect(
      CollectorAdvert.safeParse({ ...advert, maxConcurrency: MAX_CONCURRENCY + 1 }).success,
    ).toBe(false);
    let labels: Record<string, string> = {};
    for (let i = 0; i < LABELS.max; i++) labels = collectLabel(`k${i}=${"v".repeat(256)}`, labels);
    expect(CollectorAdvert.safeParse({ ...advert, labels }).success).toBe(true);
    expect(() => collectLabel("one=more", labels)).toThrow("At most 32 labels.");
    expect(() => collectLabel(`k=${"v".repeat(257)}`)).toThrow("at most 256 characters");
    expect(() => collectLabel(`${"k".repeat(65)}=v`)).toThrow("at most 64 characters");
  });

  it("cli - hunt start --expires takes days: 24h by default, at most 7d, 8d refused in days", () => {
    const expires = huntCommand()
      .commands.find((c) => c.name() === "start")
      ?.options.find((o) => o.long === "--expires");
    const parse = (v: string) => expires?.parseArg?.(v, 0);
    expect(expires?.defaultValue).toBe(86_400_000);
    expect(parse("7d")).toBe(MAX_HUNT_LIFE_MS);
    expect(parse("2d")).toBe(2 * 86_400_000);
    expect(parse("168h")).toBe(MAX_HUNT_LIFE_MS);
    expect(() => parse("8d")).toThrow("Use at most 7d.");
    expect(() => parse("169h")).toThrow("Use at most 7d.");
  });

  it("cli - the shortest --attempt-timeout outlives the SDK's first progress and one more", () => {
    expect(COLLECTOR_PROGRESS_MS).toBe(DEFAULT_PROGRESS_MS);
    // The first progress message comes up to two periods after a task starts.
    expect(ATTEMPT_TIMEOUT.min).toBeGreaterThan(2 * DEFAULT_PROGRESS_MS);
  });

  it("cli - durations print as the command line writes them, and for people", () => {
    expect(
      [604_800_000, 86_400_000, 3_600_000, 600_000, 5000, 1500, 250].map(durationArgText),
    ).toEqual(["7d", "1d", "1h", "10m", "5s", "1500ms", "250ms"]);
    expect([850, 4200, 185_000, 600_000, 7_500_000].map(formatMs)).toEqual([
      "850 ms",
      "4.2 s",
      "3 min 5 s",
      "10 min",
      "2 h 5 min",
    ]);
  });
});
