import type { Msg, MsgHdrs } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import type { NatsConnection } from "@nats-io/nats-core";
import { DeliverPolicy, jetstream, type JetStreamClient } from "@nats-io/jetstream";
import {
  AggregatedResult,
  MeshHeaders,
  Result,
  SubmissionPlan,
  type Subjects,
} from "../../subjects/index.js";
import { decode, encode } from "../codec.js";
import { rememberSigned, signedBytesOf } from "../signing.js";
import { StreamPublisher, type StoredAck } from "./publisher.js";

/** The kinds of record on a durable submission's results subject. */
export type RecordKind = "plan" | "result" | "verdict";

/** One record, decoded. */
export type SubmissionRecord =
  | { readonly kind: "plan"; readonly plan: SubmissionPlan }
  | { readonly kind: "result"; readonly result: Result }
  | { readonly kind: "verdict"; readonly verdict: AggregatedResult };

/** Everything a results subject holds for one submission. */
export interface SubmissionRecords {
  plan: SubmissionPlan | undefined;
  results: Result[];
  verdict: AggregatedResult | undefined;
}

/** The message id that makes a record stored once: a result per (part, seq), one plan, one verdict. */
export function recordId(correlationId: string, kind: RecordKind, r?: Result): string {
  return kind === "result" && r !== undefined
    ? `${correlationId}:${r.taskId}:${r.seq}`
    : `${correlationId}:${kind}`;
}

/**
 * Decodes a record (kind from its header); throws InvalidMessageError when it is not one. A signed
 * result keeps its collector's bytes and signature (signedBytesOf) unless `keepSigned` is false.
 */
export function decodeRecord(
  msg: Pick<Msg, "data" | "subject"> & { headers?: MsgHdrs },
  keepSigned = true,
): SubmissionRecord {
  const kind = msg.headers?.get(MeshHeaders.Record);
  const subject = msg.subject;
  if (kind === "plan") return { kind, plan: decode(SubmissionPlan, msg.data, { subject }) };
  if (kind === "verdict") {
    return { kind, verdict: decode(AggregatedResult, msg.data, { subject }) };
  }
  const result = decode(Result, msg.data, { subject });
  const signature = keepSigned ? msg.headers?.get(MeshHeaders.Signature) : undefined;
  if (signature) rememberSigned(result, msg.data, signature);
  return { kind: "result", result };
}

/**
 * A durable submission's records in the results stream, on `<p>.results.<owner>.<id>`: the plan
 * of a fan-out, each distinct result, and the verdict. Message ids make each stored once, so a
 * part that ran twice across a takeover is kept once per sequence number. A submitter subscribed
 * to the subject sees each record as it is stored.
 */
export class ResultJournal {
  readonly #js: JetStreamClient;
  readonly #publisher: StreamPublisher;
  readonly #subjects: Subjects;
  readonly #stream: string;

  constructor(nc: NatsConnection, subjects: Subjects, publisher = new StreamPublisher(nc)) {
    this.#js = jetstream(nc);
    this.#publisher = publisher;
    this.#subjects = subjects;
    this.#stream = subjects.resultsStream();
  }

  close(): void {
    this.#publisher.close();
  }

  /** A result: a signed one as its collector's own bytes, with their signature (signing.ts). */
  result(owner: string, r: Result): Promise<StoredAck> {
    const signed = signedBytesOf(r);
    const data = signed?.data ?? encode(Result, r);
    return this.#put(owner, r.correlationId, "result", data, r, signed?.signature);
  }

  plan(owner: string, plan: SubmissionPlan): Promise<StoredAck> {
    return this.#put(owner, plan.correlationId, "plan", encode(SubmissionPlan, plan));
  }

  /** The verdict: the aggregation's outcome without its results (they are records of their own). */
  verdict(owner: string, r: AggregatedResult): Promise<StoredAck> {
    const summary: AggregatedResult = { ...r, results: [] };
    const data = encode(AggregatedResult, summary);
    return this.#put(owner, r.correlationId, "verdict", data);
  }

  /** Every record stored for one submission, in the order they were stored. */
  async read(owner: string, correlationId: string): Promise<SubmissionRecords> {
    const out: SubmissionRecords = { plan: undefined, results: [], verdict: undefined };
    const subject = this.#subjects.results(owner, correlationId);
    const c = await this.#js.consumers.get(this.#stream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.All,
    });
    for (;;) {
      const batch = await c.fetch({ max_messages: 1000, expires: 1000 });
      let last: number | undefined;
      for await (const m of batch) {
        last = m.info.pending;
        const rec = decodeRecord(m);
        if (rec.kind === "plan") out.plan = rec.plan;
        else if (rec.kind === "verdict") out.verdict = rec.verdict;
        else out.results.push(rec.result);
        if (last === 0) break;
      }
      if (last === undefined || last === 0) break;
    }
    await c.delete().catch(() => undefined);
    return out;
  }

  #put(
    owner: string,
    correlationId: string,
    kind: RecordKind,
    data: Uint8Array,
    r?: Result,
    signature?: string,
  ): Promise<StoredAck> {
    const headers = natsHeaders();
    headers.set(MeshHeaders.Record, kind);
    if (signature !== undefined) headers.set(MeshHeaders.Signature, signature);
    return this.#publisher.store(this.#subjects.results(owner, correlationId), data, {
      msgID: recordId(correlationId, kind, r),
      headers,
    });
  }
}
