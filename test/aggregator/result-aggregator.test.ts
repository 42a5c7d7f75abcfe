import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { InvalidArgumentError, NoCapableCollectorError, StoppedError } from "../../src/errors.js";
import type { DedupKey } from "../../src/aggregator/index.js";
import {
  ResultAggregator,
  compareResults,
  parseAggregatorOptions,
} from "../../src/aggregator/index.js";
import { AggregatedResult, type Result } from "../../subjects/index.js";

const T0 = 1_700_000_000_000;

function result(over: Partial<Result> = {}): Result {
  return {
    taskId: "t1",
    correlationId: "c1",
    collectorId: "col-1",
    seq: 0,
    final: true,
    status: "ok",
    payload: { n: 1 },
    producedAt: T0,
    processingMs: 1,
    ...over,
  };
}

function setup(opts: ConstructorParameters<typeof ResultAggregator>[0] = {}) {
  const clock = new ManualClock(T0);
  return { clock, agg: new ResultAggregator(opts, { clock }) };
}

describe("aggregator - completion", () => {
  it("aggregator - an aggregation expecting 3 results completes on the third with 3 results", async () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 3, timeoutMs: 5000 });
    const done = agg.whenComplete("c1");
    expect(agg.addResult(result({ collectorId: "a" }))).toBeUndefined();
    expect(agg.addResult(result({ collectorId: "b" }))).toBeUndefined();
    const r = agg.addResult(result({ collectorId: "c" }));
    expect(r?.status).toBe("complete");
    expect(r?.results).toHaveLength(3);
    expect(r).toMatchObject({ correlationId: "c1", expected: 3, received: 3, duplicates: 0 });
    expect(AggregatedResult.safeParse(r).success).toBe(true);
    await expect(done).resolves.toBe(r);
    expect(agg.isActive("c1")).toBe(false);
    expect(agg.getAggregation("c1")).toBe(r);
  });

  it("aggregator - two identical results and one distinct with expected 3 complete only on a third distinct one", () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 3, timeoutMs: 5000 });
    expect(agg.addResult(result({ collectorId: "a" }))).toBeUndefined();
    expect(agg.addResult(result({ collectorId: "a" }))).toBeUndefined();
    expect(agg.addResult(result({ collectorId: "b" }))).toBeUndefined();
    expect(agg.isActive("c1")).toBe(true);
    const r = agg.addResult(result({ collectorId: "c" }));
    expect(r?.status).toBe("complete");
    expect(r?.results.map((x) => x.collectorId)).toEqual(["a", "b", "c"]);
    expect(r?.duplicates).toBe(1);
    expect(agg.stats().deduplicated).toBe(1);
  });

  it("aggregator - a 100 ms timeout with 1 of 2 results ends partial with that result", async () => {
    const { clock, agg } = setup();
    agg.startAggregation("c1", { expected: 2, timeoutMs: 100 });
    const one = result();
    agg.addResult(one);
    clock.advance(99);
    expect(agg.sweep()).toEqual([]);
    clock.advance(1);
    const [r] = agg.sweep();
    expect(r).toMatchObject({ status: "partial", received: 1, expected: 2, completedAt: T0 + 100 });
    expect(r?.results).toEqual([one]);
    await expect(agg.whenComplete("c1")).resolves.toBe(r);
    expect(agg.stats().partial).toBe(1);
  });

  it("aggregator - timed_out when nothing arrived", () => {
    const { clock, agg } = setup();
    agg.startAggregation("c1", { expected: 1, timeoutMs: 100 });
    agg.startAggregation("c2", { expected: 1, timeoutMs: 300 });
    clock.advance(100);
    const out = agg.sweep();
    expect(out.map((r) => [r.correlationId, r.status, r.results.length])).toEqual([
      ["c1", "timed_out", 0],
    ]);
    expect(agg.isActive("c2")).toBe(true);
    expect(agg.stats().timedOut).toBe(1);
  });

  it("aggregator - a streamed part completes at its final result", () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 2, timeoutMs: 5000 });
    for (let seq = 0; seq < 3; seq++)
      expect(agg.addResult(result({ collectorId: "a", seq, final: false }))).toBeUndefined();
    expect(agg.addResult(result({ collectorId: "a", seq: 3, final: true }))).toBeUndefined();
    expect(agg.addResult(result({ collectorId: "b", seq: 0, final: false }))).toBeUndefined();
    const r = agg.addResult(result({ collectorId: "b", seq: 1, final: true }));
    expect(r?.status).toBe("complete");
    expect(r?.received).toBe(6);
  });

  it("aggregator - minResults alone completes at that many distinct results", () => {
    const { agg } = setup();
    agg.startAggregation("c1", { minResults: 2, timeoutMs: 5000 });
    expect(agg.addResult(result({ seq: 0, final: false }))).toBeUndefined();
    expect(agg.addResult(result({ seq: 0, final: false }))).toBeUndefined();
    expect(agg.addResult(result({ seq: 1, final: false }))?.status).toBe("complete");
  });

  it("aggregator - setExpected fixes the count after routing", () => {
    const { agg } = setup();
    agg.startAggregation("c1", { timeoutMs: 5000 });
    expect(agg.addResult(result({ collectorId: "a" }))).toBeUndefined();
    expect(agg.addResult(result({ collectorId: "b" }))).toBeUndefined();
    expect(agg.setExpected("c1", 3)).toBeUndefined();
    expect(agg.setExpected("c1", 2)?.status).toBe("complete");
    expect(agg.setExpected("c1", 2)).toBeUndefined();
    agg.startAggregation("c2", { expected: 5, timeoutMs: 5000 });
    expect(agg.setExpected("c2", 0)?.results).toEqual([]);
    expect(() => agg.setExpected("c2", -1)).toThrow(InvalidArgumentError);
  });

  it("aggregator - fail ends with status failed and the error, carrying what arrived", async () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 2, timeoutMs: 5000 });
    agg.addResult(result());
    const done = agg.whenComplete("c1");
    const r = agg.fail("c1", new NoCapableCollectorError(0x20, "KERNEL_LEVEL"));
    expect(r).toMatchObject({
      status: "failed",
      received: 1,
      error: { code: "NO_CAPABLE_COLLECTOR", message: "no collector advertises KERNEL_LEVEL" },
    });
    await expect(done).resolves.toBe(r);
    expect(agg.fail("c1", new StoppedError("x"))).toBeUndefined();
    agg.startAggregation("c2", { expected: 1, timeoutMs: 5000 });
    agg.startAggregation("c3", { expected: 1, timeoutMs: 5000 });
    expect(agg.failAll().map((x) => [x.correlationId, x.error?.code])).toEqual([
      ["c2", "STOPPED"],
      ["c3", "STOPPED"],
    ]);
    expect(agg.stats()).toMatchObject({ failed: 3, active: 0 });
  });

  it("aggregator - startAggregation refuses a running id and bad options", () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 1, timeoutMs: 100 });
    expect(() => agg.startAggregation("c1", { expected: 1, timeoutMs: 100 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => agg.startAggregation("c2", { expected: 0, timeoutMs: 100 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => agg.startAggregation("c2", { expected: 1, timeoutMs: 0 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => agg.startAggregation("a.b", { expected: 1, timeoutMs: 100 })).toThrow(
      InvalidArgumentError,
    );
    expect(agg.stats().started).toBe(1);
    expect(() => parseAggregatorOptions({ dedupKey: "nope" as DedupKey })).toThrow(
      InvalidArgumentError,
    );
    expect(() => parseAggregatorOptions({ streamBufferSize: 0 })).toThrow(InvalidArgumentError);
  });

  it("aggregator - finished aggregations hold at most completedResults results together; the latest stays whatever its size", () => {
    const { agg } = setup({ completedResults: 5 });
    const finish = (id: string, n: number) => {
      agg.startAggregation(id, { expected: n, timeoutMs: 100 });
      for (let i = 0; i < n; i++) agg.addResult(result({ correlationId: id, taskId: `t${i}` }));
    };
    finish("a", 2);
    finish("b", 3);
    expect(agg.getAggregation("a")?.received).toBe(2); // 5 held: at the bound
    finish("c", 1);
    expect(agg.getAggregation("a")).toBeUndefined(); // the oldest goes first
    expect(agg.getAggregation("b")?.received).toBe(3);
    finish("big", 8); // alone past the bound: kept, the others go
    expect(agg.getAggregation("big")?.received).toBe(8);
    expect(agg.getAggregation("b")).toBeUndefined();
    expect(agg.getAggregation("c")).toBeUndefined();
  });

  it("aggregator - a run held elsewhere (retain: false) keeps only how it ended; its waiter gets every result, a late one counts as late", async () => {
    const { agg } = setup();
    agg.startAggregation("c1", {
      expected: 2,
      timeoutMs: 5000,
      targets: ["a", "b"],
      retain: false,
    });
    const done = agg.whenComplete("c1");
    agg.addResult(result({ collectorId: "a" }));
    const r = agg.addResult(result({ collectorId: "b" }));
    expect(r?.results).toHaveLength(2);
    await expect(done).resolves.toBe(r);
    expect(r?.instances?.map((i) => i.state)).toEqual(["ok", "ok"]);
    const kept = agg.getAggregation("c1");
    expect(kept).toMatchObject({ status: "complete", received: 2, expected: 2, results: [] });
    expect(kept?.instances).toBeUndefined();
    expect(agg.stats()).toMatchObject({ retained: 1, retainedBytes: 0 });
    agg.addResult(result({ collectorId: "c" }));
    expect(agg.stats()).toMatchObject({ late: 1, unknown: 0 });
  });

  it("aggregator - whenComplete of a finished id resolves from the ring; of an unknown id rejects", async () => {
    const { agg } = setup({ completedRingSize: 2 });
    for (const id of ["a", "b", "c"]) {
      agg.startAggregation(id, { expected: 1, timeoutMs: 100 });
      agg.addResult(result({ correlationId: id }));
    }
    expect(agg.getAggregation("a")).toBeUndefined(); // evicted: the ring holds 2
    await expect(agg.whenComplete("c")).resolves.toMatchObject({
      correlationId: "c",
      status: "complete",
    });
    await expect(agg.whenComplete("a")).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe("aggregator - order, dedup and lateness", () => {
  it("aggregator - results are ordered by producedAt, then collectorId, then seq", () => {
    const { agg } = setup();
    agg.startAggregation("c1", { minResults: 6, timeoutMs: 5000 });
    const rs = [
      result({ collectorId: "b", producedAt: T0 + 5, seq: 1, final: false }),
      result({ collectorId: "b", producedAt: T0 + 5, seq: 0, final: false }),
      result({ collectorId: "a", producedAt: T0 + 5, seq: 2, final: false }),
      result({ collectorId: "z", producedAt: T0 + 1, seq: 9, final: false }),
      result({ collectorId: "a", producedAt: T0 + 9, seq: 0, final: false }),
      result({ collectorId: "a", producedAt: T0 + 5, seq: 3, final: false }),
    ];
    let r;
    for (const x of rs) r = agg.addResult(x);
    expect(r?.results).toEqual([rs[3], rs[2], rs[5], rs[1], rs[0], rs[4]]);
    expect([...rs].sort(compareResults)).toEqual(r?.results);
  });

  it("aggregator - unknown and late results are counted, not added", () => {
    const { clock, agg } = setup();
    expect(agg.addResult(result({ correlationId: "nope" }))).toBeUndefined();
    agg.startAggregation("c1", { expected: 1, timeoutMs: 100 });
    agg.addResult(result({ collectorId: "a" }));
    expect(agg.addResult(result({ collectorId: "b" }))).toBeUndefined();
    agg.startAggregation("c2", { expected: 2, timeoutMs: 100 });
    clock.advance(100);
    agg.sweep();
    agg.addResult(result({ correlationId: "c2" }));
    expect(agg.getAggregation("c1")?.results).toHaveLength(1);
    expect(agg.getAggregation("c2")?.results).toHaveLength(0);
    expect(agg.stats()).toMatchObject({ unknown: 1, late: 2, resultsAggregated: 1 });
  });

  it("aggregator - a custom dedup key", () => {
    const { agg } = setup({ dedupKey: (r) => String((r.payload as { n: number }).n) });
    agg.startAggregation("c1", { expected: 2, timeoutMs: 5000 });
    agg.addResult(result({ collectorId: "a", payload: { n: 1 } }));
    agg.addResult(result({ collectorId: "b", payload: { n: 1 } }));
    expect(
      agg
        .addResult(result({ collectorId: "c", payload: { n: 2 } }))
        ?.results.map((r) => r.collectorId),
    ).toEqual(["a", "c"]);
  });

  it("aggregator - abandonPart drops the part's non-final results and ignores its later ones", () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 2, timeoutMs: 5000 });
    agg.addResult(result({ taskId: "t1", collectorId: "done", final: true }));
    agg.addResult(result({ taskId: "t2", collectorId: "gone", seq: 0, final: false }));
    agg.addResult(result({ taskId: "t2", collectorId: "gone", seq: 1, final: false }));
    agg.abandonPart("c1", "t2", "gone");
    agg.abandonPart("c1", "t1", "done"); // already complete: left alone
    expect(
      agg.addResult(result({ taskId: "t2", collectorId: "gone", seq: 2, final: true })),
    ).toBeUndefined();
    expect(agg.isActive("c1")).toBe(true);
    agg.addResult(result({ taskId: "t2", collectorId: "new", seq: 0, final: false }));
    const r = agg.addResult(result({ taskId: "t2", collectorId: "new", seq: 1, final: true }));
    expect(r?.status).toBe("complete");
    expect(r?.results.map((x) => `${x.collectorId}/${x.seq}`)).toEqual([
      "done/0",
      "new/0",
      "new/1",
    ]);
    expect(agg.stats().late).toBe(1);
  });

  it("aggregator - abandonPart with an attempt accepts a later attempt on the same collector", () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 1, timeoutMs: 5000 });
    agg.addResult(result({ seq: 0, final: false, attempt: 0 }));
    agg.abandonPart("c1", "t1", "col-1", 0);
    expect(agg.addResult(result({ seq: 1, final: true, attempt: 0 }))).toBeUndefined();
    agg.addResult(result({ seq: 0, final: false, attempt: 1, payload: "again" }));
    const r = agg.addResult(result({ seq: 1, final: true, attempt: 1 }));
    expect(r?.results.map((x) => [x.seq, x.attempt])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(agg.stats()).toMatchObject({ late: 1, deduplicated: 0 });
  });

  it("aggregator - results past the per-aggregation cap are counted as overflow", () => {
    const { agg } = setup({ maxResultsPerAggregation: 10 });
    agg.startAggregation("c1", { minResults: 1000, timeoutMs: 5000 });
    for (let seq = 0; seq < 25; seq++) agg.addResult(result({ seq, final: false }));
    expect(agg.stats()).toMatchObject({ resultsAggregated: 10, overflow: 15 });
    expect(agg.fail("c1", new StoppedError("t"))?.results).toHaveLength(10);
  });
});

describe("aggregator - stats", () => {
  it("aggregator - stats count every outcome and the average aggregation time", () => {
    const { clock, agg } = setup();
    agg.startAggregation("a", { expected: 1, timeoutMs: 1000 });
    agg.startAggregation("b", { expected: 1, timeoutMs: 1000 });
    agg.startAggregation("c", { expected: 2, timeoutMs: 50 });
    agg.startAggregation("d", { expected: 1, timeoutMs: 50 });
    clock.advance(10);
    agg.addResult(result({ correlationId: "a" }));
    agg.addResult(result({ correlationId: "c" }));
    agg.addResult(result({ correlationId: "c" }));
    clock.advance(20);
    agg.addResult(result({ correlationId: "b" }));
    clock.advance(20);
    agg.sweep();
    agg.addResult(result({ correlationId: "zzz" }));
    expect(agg.stats()).toEqual({
      started: 4,
      active: 0,
      completed: 2,
      partial: 1,
      timedOut: 1,
      failed: 0,
      resultsAggregated: 3,
      deduplicated: 1,
      late: 0,
      unknown: 1,
      overflow: 0,
      retained: 4,
      retainedBytes: expect.any(Number) as number,
      slowConsumers: 0,
      averageAggregationMs: 20,
    });
    expect(agg.stats().retainedBytes).toBeGreaterThan(0);
  });
});
