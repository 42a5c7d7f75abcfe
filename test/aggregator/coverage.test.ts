import { describe, expect, it } from "vitest";
import { Coverage, coverageCounts } from "../../src/aggregator/coverage.js";
import { progressText } from "../../src/cli/results/progress.js";
import { ErrorCode, type Result } from "../../subjects/index.js";

const result = (collectorId: string, over: Partial<Result> = {}): Result => ({
  taskId: `t-${collectorId}`,
  correlationId: "c",
  collectorId,
  seq: 0,
  final: true,
  status: "ok",
  producedAt: 1,
  processingMs: 1,
  ...over,
});
const failed = (id: string, code: ErrorCode) =>
  result(id, { status: "error", error: { code, message: "x" } });

describe("aggregator - coverage", () => {
  it("aggregator - each targeted instance is settled by its first final result, by its error code", () => {
    const c = new Coverage(["a", "b", "c", "d", "e", "f", "g"], ["ghost"]);
    for (const id of ["a", "b", "c", "d", "e", "f"]) c.sent(id);
    c.result(result("a", { final: false })); // not final: a is still running
    c.result(failed("b", ErrorCode.HandlerError));
    c.result(failed("c", ErrorCode.CollectorLost));
    c.result(failed("d", ErrorCode.Timeout));
    c.result(failed("e", ErrorCode.Cancelled));
    c.result(result("f"));
    c.result(failed("f", ErrorCode.Internal)); // a later final changes nothing
    c.result(result("stranger")); // not targeted: not listed
    const out = c.outcomes();
    expect(out).toEqual([
      { collectorId: "a", state: "timed_out" },
      { collectorId: "b", state: "error", code: ErrorCode.HandlerError },
      { collectorId: "c", state: "lost", code: ErrorCode.CollectorLost },
      { collectorId: "d", state: "timed_out", code: ErrorCode.Timeout },
      { collectorId: "e", state: "cancelled", code: ErrorCode.Cancelled },
      { collectorId: "f", state: "ok" },
      { collectorId: "g", state: "not_reached" },
      { collectorId: "ghost", state: "not_reached", code: ErrorCode.NoCapableCollector },
    ]);
    expect(coverageCounts(out)).toEqual({
      ok: 1,
      error: 1,
      timed_out: 2,
      lost: 1,
      not_reached: 2,
      cancelled: 1,
    });
  });

  it("aggregator - the progress line counts, and its ETA never passes the deadline", () => {
    const base = { answered: 10, errors: 2, elapsedMs: 1200, leftMs: 60_000 };
    expect(progressText({ ...base, targeted: 40 })).toBe(
      "10/40 answered, 2 errors, 28 pending, ETA 2.8 s",
    );
    expect(progressText({ ...base, targeted: 40, leftMs: 500 })).toContain("ETA 500 ms");
    expect(progressText({ ...base, targeted: undefined })).toBe("10 answered, 2 errors");
    expect(progressText({ ...base, answered: 0, errors: 0, targeted: 3 })).toContain(
      "3 pending, deadline in",
    );
  });
});
