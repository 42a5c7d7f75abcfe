/**
 * The aggregation's dedup and abandon rules against a plain model of them, under random
 * sequences of results and abandoned parts: the same results are held, counted as duplicates or
 * late, and the aggregation completes at the same step.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ManualClock } from "../../src/clock.js";
import { ResultAggregator } from "../../src/aggregator/index.js";
import type { Result } from "../../subjects/index.js";

const T0 = 1_700_000_000_000;

type Op =
  | { kind: "result"; c: number; t: number; seq: number; final: boolean; attempt?: number }
  | { kind: "abandon"; c: number; t: number; attempt?: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        kind: fc.constant("result" as const),
        c: fc.nat(2),
        t: fc.nat(2),
        seq: fc.nat(2),
        final: fc.boolean(),
        attempt: fc.nat(2),
      },
      { requiredKeys: ["kind", "c", "t", "seq", "final"] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { kind: fc.constant("abandon" as const), c: fc.nat(2), t: fc.nat(2), attempt: fc.nat(2) },
      { requiredKeys: ["kind", "c", "t"] },
    ),
  },
);

/** The rules as written in aggregation.ts, with plain sets and maps. */
class Model {
  readonly seen = new Set<string>();
  readonly parts = new Map<string, { complete: boolean; through: number; open: Result[] }>();
  readonly dropped = new Set<Result>();
  readonly log: Result[] = [];
  duplicates = 0;
  late = 0;
  completeParts = 0;

  offer(r: Result): void {
    const pk = `${r.collectorId} ${r.taskId}`;
    const key = `${r.collectorId} ${r.taskId} ${r.seq}`;
    let part = this.parts.get(pk);
    if (part !== undefined && part.through !== -1) {
      if (r.attempt === undefined || r.attempt <= part.through) {
        this.late++;
        return;
      }
    }
    if (this.seen.has(key)) {
      this.duplicates++;
      return;
    }
    if (part === undefined) this.parts.set(pk, (part = { complete: false, through: -1, open: [] }));
    this.seen.add(key);
    this.log.push(r);
    if (r.final && !part.complete) {
      part.complete = true;
      part.open = [];
      this.completeParts++;
    } else if (!part.complete) part.open.push(r);
  }

  abandon(collectorId: string, taskId: string, attempt: number | undefined): void {
    const pk = `${collectorId} ${taskId}`;
    const part = this.parts.get(pk);
    if (part?.complete) return;
    const through = attempt ?? Number.MAX_SAFE_INTEGER;
    if (part === undefined) {
      this.parts.set(pk, { complete: false, through, open: [] });
      return;
    }
    part.through = through;
    for (const r of part.open) {
      if (this.dropped.has(r)) continue;
      this.dropped.add(r);
      this.seen.delete(`${r.collectorId} ${r.taskId} ${r.seq}`);
    }
    part.open = [];
  }

  held(): Result[] {
    return this.log.filter((r) => !this.dropped.has(r));
  }
}

describe("aggregator - dedup and abandon rules", () => {
  it("aggregator - any sequence of results and abandons holds, drops and completes as the rules say", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 30 }),
        fc.integer({ min: 1, max: 4 }),
        (ops, expected) => {
          const agg = new ResultAggregator({}, { clock: new ManualClock(T0) });
          agg.startAggregation("c", { expected, timeoutMs: 60_000 });
          const done = { r: undefined as ReturnType<ResultAggregator["addResult"]> };
          const m = new Model();
          for (const o of ops) {
            if (done.r !== undefined) break;
            const collectorId = `col${o.c}`;
            const taskId = `t${o.t}`;
            if (o.kind === "abandon") {
              agg.abandonPart("c", taskId, collectorId, o.attempt);
              m.abandon(collectorId, taskId, o.attempt);
              continue;
            }
            const r: Result = {
              taskId,
              correlationId: "c",
              collectorId,
              seq: o.seq,
              final: o.final,
              status: "ok",
              producedAt: T0,
              processingMs: 1,
              ...(o.attempt !== undefined ? { attempt: o.attempt } : {}),
            };
            expect(agg.isDuplicate(r)).toBe(m.seen.has(`${collectorId} ${taskId} ${o.seq}`));
            done.r = agg.addResult(r);
            m.offer(r);
            expect(done.r !== undefined).toBe(m.completeParts >= expected);
            const s = agg.stats();
            expect(s.deduplicated).toBe(m.duplicates);
            expect(s.late).toBe(m.late);
            if (done.r === undefined) expect(agg.getProgress("c")?.received).toBe(m.held().length);
          }
          const final = done.r ?? agg.end("c", "partial");
          const key = (r: Result) => `${r.collectorId} ${r.taskId} ${r.seq} ${r.attempt ?? ""}`;
          expect(final?.results.map(key).sort()).toEqual(m.held().map(key).sort());
        },
      ),
      { numRuns: 500 },
    );
  });
});
