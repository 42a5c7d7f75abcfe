/**
 * What a signed result costs: ed25519 sign (the collector) and verify (the coordinator, and again
 * the submitter) of a Result's bytes, for results from a small process record to 900 KB, and the
 * bytes signing adds on the wire (the Mesh-Signature header) and to the advert (signingKey).
 * Each case runs for about `--ms` milliseconds (default 400); figures are medians per result.
 *   npx tsx bench/sign.ts [--ms 400] [--json]
 */
import { pathToFileURL } from "node:url";
import { encode } from "../src/codec.js";
import { checkSignature, createSigner } from "../src/signing.js";
import { CollectorAdvert, MeshHeaders, Result } from "../subjects/index.js";

export interface SignCase {
  name: string;
  result_bytes: number;
  sign_us: number;
  verify_us: number;
  runs: number;
}

export interface SignFigures {
  node: string;
  cases: SignCase[];
  /** Bytes a signed result adds: the header block (`NATS/1.0`, the header line, CRLFs). */
  header_bytes_alone: number;
  /** The same beside headers it already has (traceparent): the one header line. */
  header_bytes_beside_others: number;
  /** Bytes the signingKey field adds to an advert. */
  advert_bytes: number;
}

function result(payload: unknown): Result {
  return {
    taskId: "c-1-0",
    correlationId: "c-1",
    collectorId: "procmond-web-1",
    seq: 0,
    final: true,
    status: "ok",
    payload,
    producedAt: Date.now(),
    processingMs: 3,
    attempt: 0,
  };
}

const proc = (i: number) => ({
  pid: 1000 + i,
  ppid: 1,
  name: `worker-${i}`,
  cmdline: `/usr/bin/worker --id ${i} --config /etc/worker.conf`,
  user: "www-data",
  rssKb: 20_480 + i,
});

function cases(): { name: string; bytes: Uint8Array }[] {
  const of = (n: number) =>
    encode(Result, result({ processes: Array.from({ length: n }, (_, i) => proc(i)) }));
  const blob = (kb: number) => encode(Result, result({ data: "x".repeat(kb * 1024) }));
  return [
    { name: "1 process record", bytes: of(1) },
    { name: "100 process records", bytes: of(100) },
    { name: "100 KB result", bytes: blob(100) },
    { name: "900 KB result", bytes: blob(900) },
  ];
}

function perOp(fn: () => void, budgetMs: number): { us: number; runs: number } {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  const end = Date.now() + budgetMs;
  while (samples.length < 5000 && (Date.now() < end || samples.length < 5)) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
  return { us: Math.round(median * 10) / 10, runs: samples.length };
}

/**
 * What a NATS header block costs (ADR-4: `NATS/1.0` CRLF, `Name: value` CRLF each, a blank CRLF);
 * the signature is always 86 characters.
 */
function headerBytes(withTrace: boolean): number {
  const line = (name: string, value: string) => name.length + 2 + value.length + 2;
  const sig = line(MeshHeaders.Signature, "s".repeat(86));
  return withTrace ? sig : "NATS/1.0\r\n".length + sig + 2;
}

export function benchSign(budgetMs = 400): SignFigures {
  const signer = createSigner(true);
  const out: SignCase[] = cases().map(({ name, bytes }) => {
    const sig = signer.sign(bytes);
    const s = perOp(() => signer.sign(bytes), budgetMs);
    const v = perOp(() => {
      if (checkSignature(bytes, sig, signer.publicKey) !== undefined) throw new Error("bad");
    }, budgetMs);
    return { name, result_bytes: bytes.length, sign_us: s.us, verify_us: v.us, runs: s.runs };
  });
  const advert: CollectorAdvert = {
    id: "procmond-web-1",
    type: "procmond",
    capabilities: 0x41,
    version: "0.1.0",
    health: "healthy",
    maxConcurrency: 4,
    inFlight: 0,
    weight: 1,
    labels: {},
    startedAt: 1_700_000_000_000,
    heartbeatSeq: 1,
    heartbeatAt: 1_700_000_000_250,
  };
  const advertBytes =
    encode(CollectorAdvert, { ...advert, signingKey: signer.publicKey }).length -
    encode(CollectorAdvert, advert).length;
  return {
    node: process.version,
    cases: out,
    header_bytes_alone: headerBytes(false),
    header_bytes_beside_others: headerBytes(true),
    advert_bytes: advertBytes,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--ms");
  const f = benchSign(i >= 0 ? Number(args[i + 1]) : 400);
  if (args.includes("--json")) console.log(JSON.stringify(f));
  else {
    console.log("result | bytes | sign µs | verify µs | runs");
    for (const c of f.cases) {
      console.log(`${c.name} | ${c.result_bytes} | ${c.sign_us} | ${c.verify_us} | ${c.runs}`);
    }
    console.log(
      `added per result: ${f.header_bytes_alone} bytes of headers (${f.header_bytes_beside_others} beside a traceparent); advert: +${f.advert_bytes} bytes`,
    );
  }
}
