import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode } from "../../src/codec.js";
import {
  CollectorAdvert,
  ErrorReply,
  MessageSchemas,
  Result,
  type MessageName,
} from "../../subjects/index.js";
import { VECTORS_DIR, type Manifest } from "../../subjects/generate-vectors.js";
import { BUILD_TIMEOUT_MS, buildRustCollector } from "./rust.js";
import { toJsonValue } from "./json.js";

let out: string;
let samples: { file: string; message: MessageName }[];

beforeAll(() => {
  const bin = buildRustCollector();
  out = mkdtempSync(join(tmpdir(), "rust-samples-"));
  const r = spawnSync(bin, ["samples", "--out", out, "--vectors", VECTORS_DIR], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`rust-collector samples failed: ${r.stderr}`);
  samples = JSON.parse(readFileSync(join(out, "samples.json"), "utf8")) as typeof samples;
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

const read = (file: string) => new Uint8Array(readFileSync(join(out, file)));

describe("rust encoding - what the Rust crate encodes, the zod schemas accept", () => {
  it("rust encoding - every valid golden vector re-encoded by Rust decodes to the manifest's value", () => {
    const manifest = JSON.parse(
      readFileSync(join(VECTORS_DIR, "manifest.json"), "utf8"),
    ) as Manifest;
    const valid = manifest.vectors.filter((v) => v.verdict === "valid");
    const reencoded = samples.filter((s) => s.file.startsWith("reencoded/"));
    expect(reencoded.map((s) => s.file).sort()).toEqual(
      valid.map((v) => `reencoded/${v.file}`).sort(),
    );
    for (const v of valid) {
      const value: unknown = decode(MessageSchemas[v.message], read(`reencoded/${v.file}`));
      if (v.json !== undefined) expect(toJsonValue(value), v.file).toEqual(v.json);
    }
  });

  it("rust encoding - the collector's own advert, results and error reply decode with the zod schemas", () => {
    const advert = decode(CollectorAdvert, read("own/advert.msgpack"));
    expect(advert).toMatchObject({
      id: "perfmond-rs-sample",
      type: "perfmond-rs",
      capabilities: 0x48,
      health: "degraded",
      inFlight: 2,
      labels: { lang: "rust" },
    });
    const sample = decode(Result, read("own/result-sample.msgpack"));
    expect(sample).toMatchObject({ status: "ok", seq: 0, final: true, attempt: 2 });
    const payload = sample.payload as Record<string, number>;
    expect(typeof payload.load1).toBe("number");
    expect(payload.memTotalKb).toBeGreaterThan(0);
    expect(sample.processingMs).toBeCloseTo(1.5, 5);
    const part = decode(Result, read("own/result-streamed-part.msgpack"));
    expect(part).toMatchObject({ seq: 1, final: false });
    expect((part.payload as Record<string, number>).sample).toBe(1);
    const err = decode(Result, read("own/result-error.msgpack"));
    expect(err).toMatchObject({ status: "error", final: true, error: { code: "TIMEOUT" } });
    expect(err.payload).toBeUndefined();
    const reply = decode(ErrorReply, read("own/error-reply.msgpack"));
    expect(reply.error.code).toBe("INVALID_MESSAGE");
    expect(reply.error.message).toContain("taskId");
    expect(samples.filter((s) => s.file.startsWith("own/"))).toHaveLength(5);
  });
});
