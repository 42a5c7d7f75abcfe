/**
 * Level 3, signed results, on an open mesh. The attacker is a plain connection with full rights
 * on an unauthenticated nats-server: it reads every task (and so every attempt token and instance
 * id) and every result, and answers first. Without verification an answer that fits its attempt
 * is taken, forged or not (what level 1 cannot stop); with collectors that sign and a coordinator
 * and submitter that verify, forged, re-signed and tampered answers are dropped and counted, and
 * the real ones pass, carrying the collector's own bytes and signature to the submitter.
 */
import { describe, expect, it } from "vitest";
import { headers, type Msg } from "@nats-io/nats-core";
import { jetstream } from "@nats-io/jetstream";
import type { Coordinator } from "../../src/coordinator/index.js";
import type { Collector } from "../../src/collector/index.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { decode, encode } from "../../src/codec.js";
import { checkSignature, createSigner } from "../../src/signing.js";
import {
  DurableSubmission,
  ErrorCode,
  MeshHeaders,
  Result,
  SourceCaps,
  Subjects,
  type AggregatedResult,
} from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { routable, useMesh } from "../support/mesh-fixture.js";
import { Attacker, forgedResult, publishErrorReply, type OnTask } from "./attacker.js";

const PROC = SourceCaps.PROCESS;
const TASKS = 20;
const HANDLER_MS = 150;
const IDS = ["proc-a", "proc-b"];

let seq = 0;
const mesh = useMesh();

interface Setup {
  s: Subjects;
  coord: Coordinator;
  collectors: Collector[];
}

async function setup(o: { sign: boolean; verify: boolean; durable?: boolean }): Promise<Setup> {
  const prefix = `signed${++seq}`;
  const s = new Subjects(prefix);
  const coord = await mesh.coordinator({
    prefix,
    durable: o.durable ?? false,
    verify: o.verify,
    advertTtlMs: 1500,
  });
  const collectors: Collector[] = [];
  for (const id of IDS) {
    const c = await mesh.collector({
      id,
      maxConcurrency: TASKS,
      prefix,
      ttlMs: 1500,
      ...(o.sign ? { sign: true as const } : {}),
      handler: async (payload) => {
        await new Promise((r) => setTimeout(r, HANDLER_MS));
        return { echo: payload, by: id };
      },
    });
    collectors.push(c);
  }
  // A verifying coordinator refuses the adverts of collectors that do not sign.
  if (o.sign || !o.verify) {
    await routable(coord, IDS);
  }
  return { s, coord, collectors };
}

async function attacker(s: Subjects, task: OnTask): Promise<Attacker> {
  const a = new Attacker(await mesh.connect("attacker"), s, { task });
  await a.ready();
  mesh.cleanup(() => Promise.resolve(a.stop()));
  return a;
}

function submitAll(coord: Coordinator, n = TASKS, from = 0): Promise<AggregatedResult[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      coord.submit({ requiredCapabilities: PROC, payload: from + i }, { timeoutMs: 10_000 }),
    ),
  );
}

const realPayloads = (vs: AggregatedResult[]) =>
  vs.filter((v) => {
    const r = v.results[0];
    return v.status === "complete" && r?.status === "ok" && (r.payload as { by?: string })?.by;
  }).length;

describe("security - level 3: signed results", () => {
  it("security - without verification, a forged answer that fits its attempt is taken (what level 1 cannot stop)", async () => {
    const { s, coord } = await setup({ sign: true, verify: false });
    let forgeErrors = false;
    await attacker(s, (seen, nc) => {
      if (forgeErrors) publishErrorReply(nc, seen.reply, ErrorCode.HandlerError);
      else nc.publish(seen.reply, forgedResult(seen));
    });
    const forged = await submitAll(coord);
    expect(
      forged.filter((v) => (v.results[0]?.payload as { forged?: boolean })?.forged),
    ).toHaveLength(TASKS);
    forgeErrors = true;
    const failed = await submitAll(coord);
    expect(failed.filter((v) => v.results[0]?.error?.code === ErrorCode.HandlerError)).toHaveLength(
      TASKS,
    );
  });

  it("security - a verifying coordinator drops unsigned, re-signed and tampered results and error replies; the real ones pass", async () => {
    const { s, coord, collectors } = await setup({ sign: true, verify: true });
    expect(coord.router.get("proc-a")?.advert.signingKey).toBe(collectors[0]?.signingKey);
    // The attacker reads the real, signed results too, and keeps one to tamper with.
    const observer = await mesh.connect("observer");
    let captured: Msg | undefined;
    observer.subscribe(`${s.prefix}.result.>`, {
      callback: (_e, m) => {
        if (m.headers?.get(MeshHeaders.Signature)) captured ??= m;
      },
    });
    await observer.flush();
    expect(realPayloads(await submitAll(coord, 1, 100))).toBe(1);
    await until(() => captured, 2000, "a signed result captured");
    const real = captured as Msg;
    const own = createSigner(true);
    await attacker(s, (seen, nc) => {
      // Unsigned.
      nc.publish(seen.reply, forgedResult(seen));
      // Signed with the attacker's own key.
      const body = forgedResult(seen, {}, { forged: "re-signed" });
      const h = headers();
      h.set(MeshHeaders.Signature, own.sign(body));
      nc.publish(seen.reply, body, { headers: h });
      // A real collector's result and signature, its fields changed to fit this attempt.
      const old = decode(Result, real.data);
      const tampered = encode(Result, {
        ...old,
        taskId: seen.task.taskId,
        correlationId: seen.task.correlationId,
        collectorId: seen.collectorId,
        attempt: seen.task.attempt,
      });
      const th = headers();
      th.set(MeshHeaders.Signature, real.headers?.get(MeshHeaders.Signature) ?? "");
      nc.publish(seen.reply, tampered, { headers: th });
      // An error reply: error replies carry no signature.
      publishErrorReply(nc, seen.reply, ErrorCode.HandlerError);
    });
    const verdicts = await submitAll(coord);
    expect(realPayloads(verdicts)).toBe(TASKS);
    verdicts.forEach((v, i) => expect(v.results[0]?.payload).toMatchObject({ echo: i }));
    const rejected = coord.stats().coordinator.rejected;
    expect(rejected.unsigned).toBe(2 * TASKS);
    expect(rejected["bad-signature"]).toBe(2 * TASKS);
    expect(coord.stats().coordinator.resent).toBe(0);
  });

  it("security - a verifying coordinator routes only to collectors that advertise a signing key", async () => {
    const { s, coord } = await setup({ sign: false, verify: true });
    await until(() => coord.invalidMessages() >= IDS.length, 5000, "adverts refused");
    expect(IDS.map((id) => coord.router.get(id))).toEqual([undefined, undefined]);
    await mesh.collector({
      id: "proc-signs",
      prefix: s.prefix,
      ttlMs: 1500,
      sign: true,
      handler: (payload) => ({ echo: payload, by: "proc-signs" }),
    });
    await until(() => coord.router.get("proc-signs"), 5000, "signer routable");
    const vs = await submitAll(coord, 10);
    expect(vs.map((v) => v.results[0]?.collectorId)).toEqual(vs.map(() => "proc-signs"));
  });

  it("security - the submitter verifies: forged records on its results subject are dropped, the stored and streamed results carry the collector's signature", async () => {
    const { s, coord, collectors } = await setup({ sign: true, verify: true, durable: true });
    expect(coord.durable).toBe(true);
    const keyOf = (id: string) => collectors.find((c) => c.id === id)?.signingKey;
    // The attacker reads each submission from the submissions stream and writes a result record
    // for it first, on the submitter's results subject.
    const forger = await mesh.connect("record-forger");
    forger.subscribe(`${s.prefix}.submit.>`, {
      callback: (_e, m) => {
        const sub = decode(DurableSubmission, m.data);
        const h = headers();
        h.set(MeshHeaders.Record, "result");
        const fake: Result = {
          taskId: `${sub.correlationId}-0`,
          correlationId: sub.correlationId,
          collectorId: "proc-a",
          seq: 0,
          final: true,
          status: "ok",
          payload: { forged: true },
          producedAt: Date.now(),
          processingMs: 1,
          attempt: 0,
        };
        forger.publish(s.results(sub.owner, sub.correlationId), encode(Result, fake), {
          headers: h,
        });
      },
    });
    await forger.flush();
    const submit = async (client: MeshClient, n: number) =>
      Promise.all(
        Array.from({ length: n }, (_, i) =>
          client.submit({ requiredCapabilities: PROC, payload: i }, { timeoutMs: 10_000 }),
        ),
      );
    const naive = new MeshClient(await mesh.connect("naive"), { prefix: s.prefix, owner: "naive" });
    mesh.cleanup(() => naive.close());
    const taken = await submit(naive, 5);
    expect(
      taken.filter((v) => (v.results[0]?.payload as { forged?: boolean })?.forged),
    ).toHaveLength(5);

    const client = new MeshClient(await mesh.connect("careful"), {
      prefix: s.prefix,
      owner: "careful",
      verify: true,
    });
    mesh.cleanup(() => client.close());
    const verdicts = await submit(client, 5);
    expect(realPayloads(verdicts)).toBe(5);
    expect(client.verification()).toMatchObject({ verified: 5, unsigned: 5, badSignature: 0 });

    // The stored record is the collector's own bytes with its signature: proof of who produced it.
    const js = jetstream(await mesh.connect("reader"));
    const c = await js.consumers.get(s.resultsStream(), {
      filter_subjects: s.results("careful", verdicts[0]?.correlationId ?? ""),
    });
    const batch = await c.fetch({ max_messages: 10, expires: 1000 });
    let signedRecords = 0;
    for await (const m of batch) {
      const sig = m.headers?.get(MeshHeaders.Signature);
      if (!sig) continue;
      const r = decode(Result, m.data);
      expect(checkSignature(m.data, sig, keyOf(r.collectorId))).toBeUndefined();
      signedRecords++;
      if (m.info.pending === 0) break;
    }
    expect(signedRecords).toBe(1);

    // Fast mode: the streamed api reply carries the same bytes and signature.
    const fast = new MeshClient(await mesh.connect("fast"), {
      prefix: s.prefix,
      owner: "fast",
      durable: false,
      verify: true,
    });
    mesh.cleanup(() => fast.close());
    expect(realPayloads(await submit(fast, 5))).toBe(5);
    expect(fast.verification()).toMatchObject({ verified: 5, unsigned: 0, badSignature: 0 });
  });
});
