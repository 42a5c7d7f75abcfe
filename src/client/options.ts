import { DEFAULT_PREFIX, checkPrefix, checkToken } from "../../subjects/index.js";
import { silentLogger, type Logger } from "../telemetry/logger.js";
import { DEFAULT_SUBMIT_TIMEOUT_MS } from "../coordinator/options.js";
import { mergeOptions } from "../options.js";
import type { SigningKeySource } from "./verify.js";

/** After the deadline, how long a submitter waits for the mesh's verdict before giving its own. */
export const DEFAULT_VERDICT_GRACE_MS = 1000;
/** A streamed api reply with no message (not even a keepalive) for this long: its coordinator is gone. */
export const DEFAULT_STALL_MS = 3000;
/** Who submits, when the caller does not say: the token its results subject carries. */
export const DEFAULT_OWNER = "mesh";

export interface MeshClientOptions {
  prefix: string;
  /** The submitter's name: results come on `<p>.results.<owner>.>` (a publisher's identity). */
  owner: string;
  /** true: durable only; false: the api's in-memory path; undefined: durable when the mesh has it. */
  durable: boolean | undefined;
  defaultTimeoutMs: number;
  verdictGraceMs: number;
  stallMs: number;
  /**
   * Where replies come (streamed api replies, stream acknowledgements): the connection's own
   * inbox prefix (nats.js `inboxPrefix`) unless set.
   */
  inboxPrefix: string | undefined;
  /**
   * Take only results signed by the key their collector advertises (`Mesh-Signature`, ed25519):
   * others are dropped and counted (`verification()`); the verdict still ends the submission.
   */
  verify: boolean;
  /** Where the keys come from when verifying (default: each collector's advert, read by key). */
  signingKeys: SigningKeySource | undefined;
  logger: Logger;
}

export type MeshClientInit = Partial<MeshClientOptions>;

export function defaultClientOptions(): MeshClientOptions {
  return {
    prefix: DEFAULT_PREFIX,
    owner: DEFAULT_OWNER,
    durable: undefined,
    defaultTimeoutMs: DEFAULT_SUBMIT_TIMEOUT_MS,
    verdictGraceMs: DEFAULT_VERDICT_GRACE_MS,
    stallMs: DEFAULT_STALL_MS,
    inboxPrefix: undefined,
    verify: false,
    signingKeys: undefined,
    logger: silentLogger,
  };
}

export function parseClientOptions(init: MeshClientInit = {}): MeshClientOptions {
  const o = mergeOptions("client", defaultClientOptions(), init, "numbers");
  checkPrefix(o.prefix);
  checkToken("owner", o.owner);
  return o;
}
