import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as edSign,
  verify as edVerify,
  type KeyObject,
} from "node:crypto";
import { Codec } from "@nats-io/nkeys/lib/codec.js";
import { InvalidArgumentError } from "./errors.js";
import { SIGNING_KEY_PREFIX } from "../subjects/index.js";
import type { Result } from "../subjects/index.js";

/**
 * Signed results: a collector signs each result's bytes exactly as it sends them (ed25519,
 * node:crypto) and puts its public key in its advert (`signingKey`); the signature travels in the
 * `Mesh-Signature` header. Keys are `ed25519:` and the 32-byte public key in base64url; signatures
 * the 64 bytes in base64url (86 characters).
 *
 * nkeys (@nats-io/nkeys) signs with tweetnacl, about 15 ms a message here; node:crypto takes
 * about 0.1 ms. An nkey seed is therefore only decoded with nkeys, and signed with node:crypto.
 */

/** What a collector signs with. */
export interface ResultSigner {
  /** `ed25519:<base64url>`: what the advert carries. */
  readonly publicKey: string;
  /** The signature of `data`, base64url. */
  sign(data: Uint8Array): string;
}

/**
 * A collector's `sign` option: true for a key made at start (it changes with every start), or
 * an nkey seed (`SU…`, as `collector-mesh auth` writes them) for a key that stays.
 */
export type SignSpec = true | { readonly nkeySeed: string };

/** DER prefix of a PKCS#8 ed25519 private key: the 32-byte seed follows (RFC 8410). */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
/** DER prefix of an SPKI ed25519 public key: the 32-byte key follows. */
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

export function createSigner(spec: SignSpec): ResultSigner {
  const privateKey = spec === true ? generateKeyPairSync("ed25519").privateKey : fromNkey(spec);
  const raw = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const publicKey = `${SIGNING_KEY_PREFIX}${raw.subarray(SPKI_ED25519.length).toString("base64url")}`;
  return {
    publicKey,
    sign: (data) => edSign(null, data, privateKey).toString("base64url"),
  };
}

function fromNkey(spec: { nkeySeed: string }): KeyObject {
  let seed: Uint8Array;
  try {
    seed = Codec.decodeSeed(new TextEncoder().encode(spec.nkeySeed.trim())).buf;
  } catch (err) {
    throw new InvalidArgumentError("sign", `is not an nkey seed: ${String(err)}`);
  }
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519, seed]),
    format: "der",
    type: "pkcs8",
  });
}

/** Why a signed message is not taken. */
export type SignatureFailure =
  /** It carries no signature. */
  | "unsigned"
  /** Its signature does not hold for its bytes and the signer's key. */
  | "bad-signature"
  /** The collector it names advertises no signing key (or no advert is known). */
  | "no-signing-key";

const keyObjects = new Map<string, KeyObject | null>();

/** The KeyObject of an advert's `signingKey`, or null when it is not one. Cached. */
function keyObject(publicKey: string): KeyObject | null {
  let k = keyObjects.get(publicKey);
  if (k !== undefined) return k;
  k = null;
  const raw = Buffer.from(publicKey.slice(SIGNING_KEY_PREFIX.length), "base64url");
  if (publicKey.startsWith(SIGNING_KEY_PREFIX) && raw.length === 32) {
    try {
      k = createPublicKey({
        key: Buffer.concat([SPKI_ED25519, raw]),
        format: "der",
        type: "spki",
      });
    } catch {
      k = null;
    }
  }
  if (keyObjects.size >= 10_000) keyObjects.clear();
  keyObjects.set(publicKey, k);
  return k;
}

/** Checks `signature` (base64url, or undefined) over `data` with `publicKey` (or undefined). */
export function checkSignature(
  data: Uint8Array,
  signature: string | undefined,
  publicKey: string | undefined,
): SignatureFailure | undefined {
  if (signature === undefined || signature === "") return "unsigned";
  if (publicKey === undefined) return "no-signing-key";
  const key = keyObject(publicKey);
  const sig = Buffer.from(signature, "base64url");
  if (key === null || sig.length !== 64) return "bad-signature";
  return edVerify(null, data, key, sig) ? undefined : "bad-signature";
}

/** A result's bytes as its collector sent them, and their signature. */
export interface SignedBytes {
  readonly data: Uint8Array;
  readonly signature: string;
}

const signed = new WeakMap<Result, SignedBytes>();
/** Whether any result was kept signed: until one is, no lookup is needed. */
let anySigned = false;

/**
 * Remembers the bytes a decoded result came from and their signature, so whoever passes the
 * result on (the results stream, a streamed api reply) sends the collector's own bytes. A view
 * into a larger buffer is copied, so the result does not hold the rest of it.
 */
export function rememberSigned(r: Result, data: Uint8Array, signature: string): void {
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  signed.set(r, { data: own ? data : data.slice(), signature });
  anySigned = true;
}

/** The signed bytes a result was decoded from, when it came signed. */
export function signedBytesOf(r: Result): SignedBytes | undefined {
  return anySigned ? signed.get(r) : undefined;
}
