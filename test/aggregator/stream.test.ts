import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/clock.js";
import { InvalidArgumentError, NoCapableCollectorError } from "../../src/errors.js";
import { ResultAggregator } from "../../src/aggregator/index.js";
import type { Result } from "../../subjects/index.js";

const T0 = 1_700_000_000_000;
const tick = () => new Promise<void>((r) => setImmediate(r));

function result(over: Partial<Result> = {}): Result {
  return {
    taskId: "t1",
    correlationId: "c1",
    collectorId: "col-1",
    seq: 0,
    final: false,
    status: "ok",
    producedAt: T0,
    processingMs: 0,
    ...over,
  };
}

function setup(streamBufferSize = 1024) {
  const clock = new ManualClock(T0);
  return { clock, agg: new ResultAggregator({ streamBufferSize }, { clock }) };
}

async function readAll(it: AsyncIterable<Result>): Promise<Result[]> {
  const out: Result[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe("aggregator - streams", () => {
  it("aggregator - stream yields each distinct result in arrival order and ends at completion", async () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 2, timeoutMs: 5000 });
    const early = result({ collectorId: "b", producedAt: T0 + 9 });
    agg.addResult(early); // before the consumer came: replayed
    const s = agg.stream("c1");
    const read = readAll(s);
    const rs = [
      result({ collectorId: "a", producedAt: T0 + 5 }),
      result({ collectorId: "b", producedAt: T0 + 9 }), // duplicate of `early`
      result({ collectorId: "b", seq: 1, final: true, producedAt: T0 + 1 }),
      result({ collectorId: "a", seq: 1, final: true, producedAt: T0 + 2 }),
    ];
    for (const r of rs) agg.addResult(r);
    expect(await read).toEqual([early, rs[0], rs[2], rs[3]]);
    expect(await s.closed).toBeUndefined();
    // The AggregatedResult is in result order; the stream was in arrival order.
    expect(agg.getAggregation("c1")?.results).toEqual([rs[2], rs[3], rs[0], early]);
  });

  it("aggregator - a slow consumer receives every distinct result exactly once, in order, beyond the buffer", async () => {
    const buffer = 8;
    const { agg } = setup(buffer);
    const total = 1000;
    agg.startAggregation("c1", { expected: 1, timeoutMs: 60_000 });
    const s = agg.stream("c1");
    const got: Result[] = [];
    const consumer = (async () => {
      for await (const r of s) {
        got.push(r);
        for (let i = 0; i < 3; i++) await tick(); // slower than the producer
      }
    })();
    const sent: Result[] = [];
    let maxPending = 0;
    for (let seq = 0; seq < total; seq++) {
      const r = result({ seq, final: seq === total - 1, producedAt: T0 + (seq % 7) });
      sent.push(r);
      agg.addResult(r);
      if (seq % 3 === 0) agg.addResult({ ...r }); // a redelivery: deduplicated
      maxPending = Math.max(maxPending, s.pending());
      if (seq % 50 === 0) await tick();
    }
    expect(agg.isActive("c1")).toBe(false); // completed while the consumer lagged behind
    expect(got.length).toBeLessThan(total);
    await consumer;
    expect(maxPending).toBeLessThanOrEqual(buffer);
    expect(got).toEqual(sent);
    expect(new Set(got.map((r) => r.seq)).size).toBe(total);
    // The redelivery of the final result came after completion: late, not a duplicate.
    expect(agg.stats()).toMatchObject({ overflow: 0, deduplicated: 333, late: 1 });
  });

  it("aggregator - two consumers at different speeds each get every result", async () => {
    const { agg } = setup(4);
    agg.startAggregation("c1", { minResults: 100, timeoutMs: 5000 });
    const fast = readAll(agg.stream("c1"));
    const slowIt = agg.stream("c1");
    const slow = (async () => {
      const out: Result[] = [];
      for await (const r of slowIt) {
        out.push(r);
        await tick();
        await tick();
      }
      return out;
    })();
    const sent: Result[] = [];
    for (let seq = 0; seq < 100; seq++) {
      sent.push(result({ seq }));
      agg.addResult(sent[seq]!);
      if (seq % 10 === 0) await tick();
    }
    expect(await fast).toEqual(sent);
    expect(await slow).toEqual(sent);
  });

  it("aggregator - a stream ends at the timeout with what arrived", async () => {
    const { clock, agg } = setup();
    agg.startAggregation("c1", { expected: 3, timeoutMs: 100 });
    const s = agg.stream("c1");
    const one = result();
    agg.addResult(one);
    clock.advance(100);
    expect(agg.sweep()[0]?.status).toBe("partial");
    expect(await readAll(s)).toEqual([one]);
  });

  it("aggregator - a failed aggregation throws its error into the stream loop", async () => {
    const { agg } = setup();
    agg.startAggregation("c1", { expected: 1, timeoutMs: 100 });
    const s = agg.stream("c1");
    agg.fail("c1", new NoCapableCollectorError(0x20, "KERNEL_LEVEL"));
    await expect(readAll(s)).rejects.toBeInstanceOf(NoCapableCollectorError);
    expect(await s.closed).toBeInstanceOf(NoCapableCollectorError);
  });

  it("aggregator - break stops a stream; the aggregation goes on", async () => {
    const { agg } = setup();
    agg.startAggregation("c1", { minResults: 10, timeoutMs: 5000 });
    const s = agg.stream("c1");
    for (let seq = 0; seq < 3; seq++) agg.addResult(result({ seq }));
    const seen: number[] = [];
    for await (const r of s) {
      seen.push(r.seq);
      if (r.seq === 1) break;
    }
    expect(seen).toEqual([0, 1]);
    expect(await s.closed).toBeUndefined();
    for (let seq = 3; seq < 10; seq++) agg.addResult(result({ seq }));
    expect(agg.getAggregation("c1")?.received).toBe(10);
  });

  it("aggregator - results withdrawn by abandonPart before a consumer reached them are skipped", async () => {
    const { agg } = setup(1);
    agg.startAggregation("c1", { expected: 1, timeoutMs: 5000 });
    const s = agg.stream("c1");
    agg.addResult(result({ collectorId: "gone", seq: 0 })); // queued in the buffer of 1
    agg.addResult(result({ collectorId: "gone", seq: 1 })); // held back in the log
    agg.abandonPart("c1", "t1", "gone");
    const fin = result({ collectorId: "new", seq: 0, final: true });
    agg.addResult(fin);
    const got = await readAll(s);
    expect(got.map((r) => `${r.collectorId}/${r.seq}`)).toEqual(["gone/0", "new/0"]);
    expect(agg.getAggregation("c1")?.results).toEqual([fin]);
  });

  it("aggregator - stream of a finished aggregation replays it; of an unknown id throws", async () => {
    const { agg } = setup(2);
    agg.startAggregation("c1", { minResults: 5, timeoutMs: 5000 });
    for (let seq = 0; seq < 5; seq++) agg.addResult(result({ seq }));
    expect((await readAll(agg.stream("c1"))).map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(() => agg.stream("nope")).toThrow(InvalidArgumentError);
  });
});
