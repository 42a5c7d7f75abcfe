import type { AggregatedResult, Result } from "../../subjects/index.js";
import { QueuedIterator } from "../structures/iterator.js";
import type { SubmissionHandle } from "./types.js";

/** A handle usable at once for one still on its way (a durable submit is stored first). */
export function followHandle(
  pending: Promise<SubmissionHandle>,
): Omit<SubmissionHandle, "correlationId"> {
  const results = new QueuedIterator<Result>();
  const fail = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
  const done: Promise<AggregatedResult> = pending.then((h) => h.done);
  void pending
    .then(async (h) => {
      for await (const r of h.results) results.push(r);
      results.stop();
    })
    .catch((err: unknown) => results.stop(fail(err)));
  return { results, done };
}
