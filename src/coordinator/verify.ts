import type { Msg } from "@nats-io/nats-core";
import { MeshHeaders, type CollectorAdvert, type Result } from "../../subjects/index.js";
import { checkSignature, rememberSigned, type SignatureFailure } from "../signing.js";
import type { Flight } from "./flights.js";
import type { Counters } from "./report.js";

export interface VerifierDeps {
  /** Drop results that are not signed by their instance's advertised key. */
  readonly verify: boolean;
  /** Where a dropped result is counted (`stats().coordinator.rejected`, by reason). */
  readonly counters: Counters;
  /** The signing key the instance advertises (the router's advert). */
  keyOf(collectorId: string): string | undefined;
  /** An answer was dropped (counted already): log it. */
  rejected(taskId: string, reason: SignatureFailure): void;
}

/**
 * The coordinator's check of signed results, after an answer matched its attempt (so only answers
 * that would otherwise count cost a verification). With `verify`, a Result counts only when its
 * `Mesh-Signature` holds for its bytes and the key the attempt's instance advertises; error replies
 * carry no signature and are dropped too (the attempt then times out and moves). Either way, a
 * signed result keeps its bytes and signature for whoever passes it on (results stream, streamed
 * api reply), so the submitter can check it as well.
 */
export class ResultVerifier {
  readonly #d: VerifierDeps;

  constructor(deps: VerifierDeps) {
    this.#d = deps;
  }

  get verifying(): boolean {
    return this.#d.verify;
  }

  /** A verifying coordinator routes only to collectors that sign (RouterWatcher `refuse`). */
  refuseAdvert(advert: CollectorAdvert): string | undefined {
    if (!this.#d.verify || advert.signingKey !== undefined) return undefined;
    return "no signingKey, and this coordinator verifies results (--verify)";
  }

  /** True to take `r`, which matched the attempt `f`; `msg` is what it was decoded from. */
  acceptResult(f: Flight, r: Result, msg: Msg): boolean {
    const signature = msg.headers?.get(MeshHeaders.Signature) || undefined;
    if (this.#d.verify) {
      const failure = checkSignature(msg.data, signature, this.#d.keyOf(f.collectorId));
      if (failure !== undefined) {
        this.#drop(r.taskId, failure);
        return false;
      }
    }
    if (signature !== undefined) rememberSigned(r, msg.data, signature);
    return true;
  }

  /** True to take an error reply for the attempt `f`: never while verifying (it is unsigned). */
  acceptErrorReply(f: Flight): boolean {
    if (!this.#d.verify) return true;
    this.#drop(f.task.taskId, "unsigned");
    return false;
  }

  #drop(taskId: string, why: SignatureFailure): void {
    this.#d.counters.reject(why);
    this.#d.rejected(taskId, why);
  }
}
