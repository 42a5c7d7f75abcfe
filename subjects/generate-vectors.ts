/**
 * Generates the golden vectors, subjects/vectors/<Message>/<verdict>-<name>.msgpack and
 * subjects/vectors/manifest.json, from vector-cases*.ts: `npm run vectors`. A test fails when the
 * committed files differ from what this produces, and every implementation of the contract (the
 * TypeScript codec, examples/rust-collector) decodes each vector to the manifest's verdict.
 *
 * The verdict of each case is declared by hand; this script checks it against the zod schemas
 * and refuses to write a vector whose declaration does not hold.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Decoder } from "@msgpack/msgpack";
import { MAX_MESSAGE_BYTES } from "./schemas.js";
import { MessageSchemas, type MessageName } from "./messages.js";
import { collectorSideCases, type Verdict, type VectorCase } from "./vector-cases.js";
import { replyCases } from "./vector-cases-replies.js";
import { apiCases } from "./vector-cases-api.js";
import { durableCases } from "./vector-cases-durable.js";
import { huntCases } from "./vector-cases-hunts.js";

export interface ManifestEntry {
  file: string;
  message: MessageName;
  verdict: Verdict;
  description: string;
  /** Valid vectors: the decoded value (defaults applied, unknown fields dropped), when JSON can hold it. */
  json?: unknown;
  /** Invalid vectors: the first failing path (`taskId`, `labels.zone`, `<root>`, `<msgpack>`, `<size>`). */
  path?: string;
}

export interface Manifest {
  description: string;
  maxMessageBytes: number;
  vectors: ManifestEntry[];
}

const decoder = new Decoder({
  maxStrLength: MAX_MESSAGE_BYTES,
  maxBinLength: MAX_MESSAGE_BYTES,
  maxArrayLength: 100_000,
  maxMapLength: 100_000,
  maxExtLength: MAX_MESSAGE_BYTES,
});

type Outcome = { ok: true; value: unknown } | { ok: false; path: string; why: string };

/** What a receiver makes of the bytes: size check, MessagePack, then the schema. */
function judge(message: MessageName, bytes: Uint8Array): Outcome {
  if (bytes.length > MAX_MESSAGE_BYTES) return { ok: false, path: "<size>", why: "too large" };
  let raw: unknown;
  try {
    raw = decoder.decode(bytes);
  } catch (err) {
    return { ok: false, path: "<msgpack>", why: String(err) };
  }
  const parsed = MessageSchemas[message].safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "<root>";
  return { ok: false, path, why: issue?.message ?? "schema mismatch" };
}

const NOT_JSON = Symbol("not JSON");

/** The value as JSON, or NOT_JSON when it holds bytes, an ext, a date or a non-finite number. */
function toJson(v: unknown): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : NOT_JSON;
  if (Array.isArray(v)) {
    const out = v.map(toJson);
    return out.includes(NOT_JSON) ? NOT_JSON : out;
  }
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const j = toJson(x);
      if (j === NOT_JSON) return NOT_JSON;
      out[k] = j;
    }
    return out;
  }
  return NOT_JSON;
}

export function allCases(): VectorCase[] {
  return [
    ...collectorSideCases(),
    ...replyCases(),
    ...apiCases(),
    ...durableCases(),
    ...huntCases(),
  ];
}

/** Every vector file (path relative to subjects/vectors/) and the manifest. */
export function buildVectors(): { files: Map<string, Uint8Array>; manifest: Manifest } {
  const files = new Map<string, Uint8Array>();
  const vectors: ManifestEntry[] = [];
  for (const c of allCases()) {
    const file = `${c.message}/${c.verdict}-${c.name}.msgpack`;
    if (files.has(file)) throw new Error(`two vectors named ${file}`);
    const outcome = judge(c.message, c.bytes);
    if (outcome.ok !== (c.verdict === "valid")) {
      const said = outcome.ok ? "the schema accepts it" : `${outcome.path}: ${outcome.why}`;
      throw new Error(`vector ${file} is declared ${c.verdict}, but ${said}`);
    }
    files.set(file, c.bytes);
    const entry: ManifestEntry = {
      file,
      message: c.message,
      verdict: c.verdict,
      description: c.description,
    };
    if (outcome.ok) {
      const json = toJson(outcome.value);
      if (json !== NOT_JSON) entry.json = json;
    } else {
      entry.path = outcome.path;
    }
    vectors.push(entry);
  }
  const manifest: Manifest = {
    description:
      "Golden vectors of the collector-mesh wire contract (subjects/schemas.ts). Each file is one MessagePack message; every receiver must reach `verdict`. For valid vectors `json` is the decoded value (defaults applied, unknown fields dropped) where JSON can hold it; for invalid ones `path` is the first failing field. Generated by `npm run vectors`; do not edit by hand.",
    maxMessageBytes: MAX_MESSAGE_BYTES,
    vectors,
  };
  return { files, manifest };
}

export function renderManifest(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

export const VECTORS_DIR = fileURLToPath(new URL("./vectors/", import.meta.url));

/** Every file under `dir`, relative to it. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { files, manifest } = buildVectors();
  rmSync(VECTORS_DIR, { recursive: true, force: true });
  for (const [file, bytes] of files) {
    const p = join(VECTORS_DIR, file);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
  }
  writeFileSync(join(VECTORS_DIR, "manifest.json"), renderManifest(manifest));
  const valid = manifest.vectors.filter((v) => v.verdict === "valid").length;
  console.log(
    `wrote ${files.size} vectors (${valid} valid, ${files.size - valid} invalid) to ${VECTORS_DIR}`,
  );
}
