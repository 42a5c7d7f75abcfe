/**
 * The aggregator's byte budgets: finished results kept within completedRingBytes (oldest
 * dropped first), stream readers at most streamBufferBytes behind (else SlowConsumerError), one
 * aggregation within maxAggregationBytes. Pure, with a ManualClock.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { ErrorCode, SlowConsumerError } from "../../src/errors.js";
import { ResultAggregator, type AggregatorOptions } from "../../src/aggregator/index.js";
import { resultBytes } from "../../src/aggregator/size.js";
import type { Result } from "../../subjects/index.js";

const T0 = 1_700_000_000_000;
const KB = 1024;

/** A result whose payload is `kb` KiB of text. */
function big(correlationId: string, seq: number, kb: number, final = false): Result {
  return {
    taskId: `${correlationId}-0`,
    correlationId,
    collectorId: "col-1",
    seq,
    final,
    status: "ok",
    payload: { text: "x".repeat(kb * KB) },
    producedAt: T0 + seq,
    processingMs: 0,
  };
}

function setup(opts: Partial<AggregatorOptions>) {
  const clock = new ManualClock(T0);
  return new ResultAggregator(opts, { clock });
}

async function seqsOf(it: AsyncIterable<Result>): Promise<number[]> {
  const out: number[] = [];
  for await (const r of it) out.push(r.seq);
  return out;
}

/** Runs one aggregation to completion with one result of `kb` KiB. */
function finishOne(agg: ResultAggregator, id: string, kb: number): void {
  agg.startAggregation(id, { expected: 1, timeoutMs: 5000 });
  agg.addResult(big(id, 0, kb, true));
}

describe("aggregator - byte budgets", () => {
  it("aggregator - a result counts about its encoded size, payload included", () => {
    const n = resultBytes(big("c", 0, 100));
    expect(n).toBeGreaterThan(100 * KB);
    expect(n).toBeLessThan(101 * KB);
  });

  it("aggregator - finished results are kept within completedRingBytes, the oldest dropped first", () => {
    const agg = setup({ completedRingBytes: 350 * KB });
    for (let i = 0; i < 6; i++) finishOne(agg, `c${i}`, 100);
    const kept = Array.from({ length: 6 }, (_, i) => agg.getAggregation(`c${i}`) !== undefined);
    expect(kept).toEqual([false, false, false, true, true, true]);
    const s = agg.stats();
    expect(s.retained).toBe(3);
    expect(s.retainedBytes).toBeLessThanOrEqual(350 * KB);
    // A result for a dropped aggregation is unknown now, for a kept one late.
    agg.addResult(big("c0", 1, 1));
    agg.addResult(big("c5", 1, 1));
    expect(agg.stats()).toMatchObject({ unknown: 1, late: 1 });
  });

  it("aggregator - the bytes counted for a kept result are those of the results it hands out, a re-sent part's withdrawn ones excluded", () => {
    const agg = setup({});
    const sum = (id: string) =>
      (agg.getAggregation(id)?.results ?? []).reduce((n, r) => n + resultBytes(r), 0);
    // Two parts; the first part's results are partly withdrawn (its task was re-sent).
    agg.startAggregation("w", { expected: 2, timeoutMs: 5000 });
    agg.addResult({ ...big("w", 0, 3), taskId: "w-a", collectorId: "a" });
    agg.abandonPart("w", "w-a", "a");
    agg.addResult({ ...big("w", 0, 2, true), taskId: "w-a", collectorId: "b" });
    agg.addResult({ ...big("w", 1, 1, true), taskId: "w-b", collectorId: "c" });
    const withdrawn = agg.getAggregation("w");
    expect(withdrawn?.results.map((r) => r.collectorId)).toEqual(["b", "c"]);
    expect(agg.stats().retainedBytes).toBe(sum("w"));
    // None withdrawn: the aggregation's own count is taken as it is.
    finishOne(agg, "plain", 4);
    expect(agg.stats().retainedBytes).toBe(sum("w") + sum("plain"));
    expect(sum("plain")).toBeGreaterThan(4 * KB);
  });

  it("aggregator - a reader further behind than streamBufferBytes ends with SlowConsumerError; one that keeps up does not", async () => {
    const agg = setup({ streamBufferBytes: 250 * KB });
    agg.startAggregation("c1", { expected: 1, timeoutMs: 60_000 });
    const idle = agg.stream("c1");
    const reading = agg.stream("c1")[Symbol.asyncIterator]();
    let read = 0;
    for (let seq = 0; seq < 6; seq++) {
      agg.addResult(big("c1", seq, 100));
      // This consumer takes each result as it comes.
      if (!(await reading.next()).done) read++;
    }
    const err = await seqsOf(idle).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlowConsumerError);
    expect((err as SlowConsumerError).code).toBe(ErrorCode.SlowConsumer);
    expect((err as SlowConsumerError).unreadBytes).toBeGreaterThan(250 * KB);
    expect(read).toBe(6);
    agg.addResult(big("c1", 6, 1, true));
    expect((await reading.next()).value).toMatchObject({ seq: 6 });
    expect((await reading.next()).done).toBe(true);
    expect(agg.stats().slowConsumers).toBe(1);
  });

  it("aggregator - when a finished aggregation is dropped, a reader keeps what it has not read within budget; past it, SlowConsumerError", async () => {
    const agg = setup({ completedRingBytes: 150 * KB, streamBufferBytes: 250 * KB });
    agg.startAggregation("c1", { expected: 1, timeoutMs: 60_000 });
    const reader = agg.stream("c1");
    for (let seq = 0; seq < 4; seq++) agg.addResult(big("c1", seq, 50, seq === 3));
    // 200 KB finished: over the ring's budget, yet kept while it is the latest finished one.
    expect(agg.getAggregation("c1")?.received).toBe(4);
    // The next one to finish pushes it out; the reader, 200 KB behind, keeps its results.
    finishOne(agg, "c1b", 1);
    expect(agg.getAggregation("c1")).toBeUndefined();
    expect(await seqsOf(reader)).toEqual([0, 1, 2, 3]);
    // A reader too far behind when its results are dropped is told so: here a replay of a
    // finished aggregation, 120 KB unread when it is dropped, with a budget of 80 KB.
    const small = setup({ completedRingBytes: 150 * KB, streamBufferBytes: 80 * KB });
    small.startAggregation("c2", { expected: 1, timeoutMs: 60_000 });
    for (let seq = 0; seq < 3; seq++) small.addResult(big("c2", seq, 40, seq === 2));
    const late = small.stream("c2");
    finishOne(small, "c3", 60); // pushes c2 out of the ring
    expect(small.getAggregation("c2")).toBeUndefined();
    await expect(seqsOf(late)).rejects.toBeInstanceOf(SlowConsumerError);
    // Within the budget, the replay still reads everything.
    const replay = small.stream("c3");
    finishOne(small, "c4", 140);
    await expect(seqsOf(replay)).resolves.toEqual([0]);
  });

  it("aggregator - results past maxAggregationBytes count as overflow", () => {
    const agg = setup({ maxAggregationBytes: 250 * KB });
    agg.startAggregation("c1", { expected: 1, timeoutMs: 5000 });
    for (let seq = 0; seq < 4; seq++) agg.addResult(big("c1", seq, 100));
    expect(agg.getProgress("c1")?.received).toBe(2);
    expect(agg.stats().overflow).toBe(2);
  });
});
