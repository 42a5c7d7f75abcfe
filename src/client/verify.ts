import type { NatsConnection } from "@nats-io/nats-core";
import { CollectorAdvert, isToken, type Result, type Subjects } from "../../subjects/index.js";
import { decode } from "../codec.js";
import { checkSignature, signedBytesOf, type SignatureFailure } from "../signing.js";

/**
 * Where a submitter finds a collector's signing key: the key its advert carries, or undefined.
 * The default reads the advert bucket (`advertKeys`); a coordinator passes its router's view.
 */
export type SigningKeySource = (
  collectorId: string,
) => string | undefined | Promise<string | undefined>;

/** What a verifying submitter did with the results it received. */
export interface VerificationStats {
  /** Results whose signature held for the key their collector advertises. */
  verified: number;
  /** Dropped: no signature (a forgery, or the coordinator's own error result for a lost part). */
  unsigned: number;
  /** Dropped: the signature does not hold (tampered bytes, another key). */
  badSignature: number;
  /** Dropped: the collector they name advertises no signing key, or has no advert. */
  noSigningKey: number;
}

/** How long a collector's key (or its absence) is trusted before it is read again. */
const KEY_TTL_MS = 60_000;
/** A failed check reads the key again (the collector may have restarted) at most this often. */
const REFRESH_MS = 1000;
const MAX_KEYS = 10_000;
const READ_TIMEOUT_MS = 2000;

interface CachedKey {
  key: string | undefined;
  at: number;
}

/**
 * Reads one advert by key with a JetStream direct get (`$JS.API.DIRECT.GET.KV_<b>.$KV.<b>.<id>`),
 * the one bucket read a publisher identity is granted (`advertRead`): no bind, no watch.
 */
export function advertKeys(nc: NatsConnection, subjects: Subjects): SigningKeySource {
  const bucket = subjects.bucket();
  return async (id) => {
    if (!isToken(id)) return undefined;
    const m = await nc.request(
      `$JS.API.DIRECT.GET.KV_${bucket}.$KV.${bucket}.${id}`,
      new Uint8Array(0),
      { timeout: READ_TIMEOUT_MS },
    );
    // 404: no such key; a delete or purge marker: the collector left.
    if (m.headers?.code !== undefined && m.headers.code >= 300) return undefined;
    const op = m.headers?.get("KV-Operation");
    if (op === "DEL" || op === "PURGE" || m.data.length === 0) return undefined;
    return decode(CollectorAdvert, m.data).signingKey;
  };
}

/**
 * A submitter's check of the results it receives: each must carry the signature of its bytes by
 * the key its collector advertises. Keys are cached; a failed check reads the key once more
 * (a restarted collector has a new one), at most once a second per collector.
 */
export class ResultChecker {
  readonly #source: SigningKeySource;
  readonly #keys = new Map<string, CachedKey>();
  readonly #stats: VerificationStats = {
    verified: 0,
    unsigned: 0,
    badSignature: 0,
    noSigningKey: 0,
  };

  constructor(source: SigningKeySource) {
    this.#source = source;
  }

  stats(): VerificationStats {
    return { ...this.#stats };
  }

  /** True when `r` came signed by its collector (signing.ts remembers the bytes it came from). */
  async check(r: Result): Promise<boolean> {
    const signed = signedBytesOf(r);
    if (signed === undefined) return this.#count("unsigned");
    let key = await this.#key(r.collectorId, false);
    let failure = checkSignature(signed.data, signed.signature, key);
    if (failure !== undefined) {
      const fresh = await this.#key(r.collectorId, true);
      if (fresh !== key) {
        key = fresh;
        failure = checkSignature(signed.data, signed.signature, key);
      }
    }
    return this.#count(failure);
  }

  /** Keeps the results of `rs` that check, in their order. */
  async filter(rs: readonly Result[]): Promise<Result[]> {
    const ok = await Promise.all(rs.map((r) => this.check(r)));
    return rs.filter((_, i) => ok[i]);
  }

  #count(failure: SignatureFailure | undefined): boolean {
    if (failure === undefined) this.#stats.verified++;
    else if (failure === "unsigned") this.#stats.unsigned++;
    else if (failure === "bad-signature") this.#stats.badSignature++;
    else this.#stats.noSigningKey++;
    return failure === undefined;
  }

  async #key(collectorId: string, refresh: boolean): Promise<string | undefined> {
    const now = Date.now();
    const c = this.#keys.get(collectorId);
    const maxAge = refresh ? REFRESH_MS : KEY_TTL_MS;
    if (c !== undefined && now - c.at < maxAge) return c.key;
    let key: string | undefined;
    try {
      key = await this.#source(collectorId);
    } catch {
      key = undefined; // unreadable now: checked as unknown, read again after REFRESH_MS
    }
    if (this.#keys.size >= MAX_KEYS) this.#keys.clear();
    this.#keys.set(collectorId, { key, at: now });
    return key;
  }
}
