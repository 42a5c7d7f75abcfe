import type { RunFn } from "../action.js";
import { encode } from "../../codec.js";
import { MAX_REQUEST_BYTES } from "../../coordinator/service.js";
import { ErrorCode, MeshError } from "../../errors.js";
import type { MeshClient } from "../../client/mesh-client.js";
import type { AggregatedResult } from "../../../subjects/index.js";
import { Subjects, SubmitRequest, type TaskPriority } from "../../../subjects/index.js";
import { withClient } from "./client.js";
import { CliError, ExitCode } from "../errors.js";
import { jsonLine } from "../format.js";
import { describeSource, readPayload } from "../payload.js";
import { formatJsonl, formatResult, type OutputFormat } from "../results/render.js";
import { ProgressTally, liveLine, progressText } from "../results/progress.js";
import type { SubmitOptions, TaskSpec } from "../../coordinator/types.js";
import { submitArgs } from "../../coordinator/submit-plan.js";

interface SubmitFlags {
  caps: number;
  priority: TaskPriority;
  mode: "one" | "all";
  timeout: number;
  expected?: number;
  output: OutputFormat;
  json?: boolean;
  durable?: boolean;
  correlationId?: string;
  owner?: string;
  verify?: boolean;
  where?: string;
  collectors?: string[];
  prefer?: string;
}

export const run: RunFn = async (values, _cmd, payloadArg) => {
  const flags = values as unknown as SubmitFlags;
  const output: OutputFormat = flags.json ? "json" : flags.output;
  const { payload, source } = await readPayload(payloadArg);
  const req: SubmitRequest = {
    requiredCapabilities: flags.caps,
    priority: flags.priority,
    payload,
    mode: flags.mode,
    expected: flags.expected,
    timeoutMs: flags.timeout,
    ...(flags.where !== undefined ? { where: flags.where } : {}),
    ...(flags.collectors !== undefined ? { collectors: flags.collectors } : {}),
    ...(flags.prefer !== undefined ? { prefer: flags.prefer } : {}),
  };
  const body = encode(SubmitRequest, req);
  checkSize(body.length, MAX_REQUEST_BYTES, describeSource(source), "a coordinator accepts");
  const init = { durable: flags.durable, verify: flags.verify === true };
  return withClient(values, "submit", init, async ({ client, nc, common }) => {
    checkSize(body.length, nc.info?.max_payload, describeSource(source), "this NATS server takes");
    // A fan-out on a terminal shows a live progress line on stderr; stdout stays the result.
    const live = req.mode === "all" && output === "table" && process.stderr.isTTY === true;
    const result = await submitTask(client, req, flags.correlationId, common.prefix, live);
    reportDropped(client);
    const text =
      output === "json"
        ? jsonLine(result)
        : output === "jsonl"
          ? formatJsonl(result)
          : formatResult(result);
    if (text !== "") process.stdout.write(`${text}\n`);
    const ok =
      result.status === "complete" &&
      result.results.every((r) => r.status === "ok") &&
      (result.instances ?? []).every((i) => i.state === "ok");
    if (!ok && output === "jsonl") {
      process.stderr.write(`${result.status}: ${result.received} of ${result.expected} results\n`);
    }
    return ok ? ExitCode.Ok : ExitCode.TaskFailed;
  });
};

/** With --verify: how many results were dropped, and why, on stderr. */
export function reportDropped(client: MeshClient): void {
  const v = client.verification();
  if (v === undefined) return;
  const dropped = v.unsigned + v.badSignature + v.noSigningKey;
  if (dropped === 0) return;
  process.stderr.write(
    `--verify dropped ${dropped} result(s): ${v.unsigned} unsigned, ${v.badSignature} badly signed, ` +
      `${v.noSigningKey} from collectors without a signing key\n`,
  );
}

function checkSize(bytes: number, limit: number | undefined, what: string, who: string): void {
  if (limit === undefined || bytes <= limit) return;
  throw new CliError(
    `${what} makes a request of ${kib(bytes)}; ${who} at most ${kib(limit)}: ` +
      "ask for less per task (filters, fewer paths) and submit several",
  );
}

function kib(n: number): string {
  return n < 1024 ? `${n} bytes` : `${Math.ceil(n / 1024)} KiB`;
}

/**
 * Submits through the client: durably when the mesh has its streams (accepted once stored), else
 * through a coordinator's api. A submit no coordinator could take is a one-line CliError.
 */
export async function submitTask(
  client: MeshClient,
  req: SubmitRequest,
  correlationId: string | undefined,
  prefix: string,
  live = false,
): Promise<AggregatedResult> {
  const { spec, opts } = submitArgs(correlationId === undefined ? req : { ...req, correlationId });
  const result = live ? await withProgress(client, spec, opts) : await client.submit(spec, opts);
  if (result.status === "failed" && result.error?.code === ErrorCode.NoResponders) {
    const subject = new Subjects(prefix).api("submit");
    throw new CliError(
      `no coordinator is serving ${subject}; start one with \`collector-mesh coordinator\``,
    );
  }
  if (result.status === "failed" && result.results.length === 0 && result.error) {
    throw new MeshError(result.error.code, result.error.message);
  }
  return result;
}

/** Submits with a live progress line on stderr (targeted, answered, errors, pending, ETA). */
async function withProgress(
  client: MeshClient,
  spec: TaskSpec,
  opts: SubmitOptions & { timeoutMs: number },
): Promise<AggregatedResult> {
  const started = Date.now();
  const handle = await client.track(spec, opts);
  const tally = new ProgressTally();
  const line = liveLine(process.stderr, () => {
    const elapsedMs = Date.now() - started;
    return progressText({
      targeted: client.progress(handle.correlationId)?.expected,
      answered: tally.answered,
      errors: tally.errors,
      elapsedMs,
      leftMs: opts.timeoutMs - elapsedMs,
    });
  });
  try {
    for await (const r of handle.results) tally.add(r);
    return await handle.done;
  } finally {
    line.stop();
  }
}
