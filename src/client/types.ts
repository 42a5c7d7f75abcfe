import type { AggregatedResult, Result } from "../../subjects/index.js";
import type { MeshIterator } from "../structures/iterator.js";

/** A submission on its way: each distinct result as it arrives, and the verdict at the end. */
export interface SubmissionHandle {
  readonly correlationId: string;
  readonly results: MeshIterator<Result>;
  readonly done: Promise<AggregatedResult>;
}
