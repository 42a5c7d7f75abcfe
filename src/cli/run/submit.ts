import type { Command } from "commander";
import type { NatsConnection } from "@nats-io/nats-core";
import { decode, encode } from "../../codec.js";
import { MAX_REQUEST_BYTES } from "../../coordinator/service.js";
import { MeshError } from "../../errors.js";
import {
  AggregatedResult,
  Subjects,
  SubmitRequest,
  type TaskPriority,
} from "../../../subjects/index.js";
import { commonOptions } from "../common.js";
import { connectNats } from "../connect.js";
import { CliError, ExitCode, isNoResponders, isRequestTimeout } from "../errors.js";
import { formatMs, jsonLine } from "../format.js";
import { describeSource, readPayload } from "../payload.js";
import { formatJsonl, formatResult, type OutputFormat } from "../results/render.js";

/** Added to the task timeout for the request's own timeout: the coordinator answers at the deadline. */
export const REQUEST_MARGIN_MS = 2000;

interface SubmitFlags {
  caps: number;
  priority: TaskPriority;
  mode: "one" | "all";
  timeout: number;
  expected?: number;
  output: OutputFormat;
  json?: boolean;
}

export async function run(
  values: Record<string, unknown>,
  _cmd: Command,
  payloadArg?: string,
): Promise<number> {
  const flags = values as unknown as SubmitFlags;
  const common = commonOptions(values);
  const output: OutputFormat = flags.json ? "json" : flags.output;
  const { payload, source } = await readPayload(payloadArg);
  const req: SubmitRequest = {
    requiredCapabilities: flags.caps,
    priority: flags.priority,
    payload,
    mode: flags.mode,
    expected: flags.expected,
    timeoutMs: flags.timeout,
  };
  const body = encode(SubmitRequest, req);
  checkSize(body.length, MAX_REQUEST_BYTES, describeSource(source), "a coordinator accepts");
  const nc = await connectNats(common, { name: "collector-mesh submit" });
  try {
    checkSize(body.length, nc.info?.max_payload, describeSource(source), "this NATS server takes");
    const result = await submitTask(nc, new Subjects(common.prefix), req, body);
    const text =
      output === "json"
        ? jsonLine(result)
        : output === "jsonl"
          ? formatJsonl(result)
          : formatResult(result);
    if (text !== "") process.stdout.write(`${text}\n`);
    const ok = result.status === "complete" && result.results.every((r) => r.status === "ok");
    if (!ok && output === "jsonl") {
      process.stderr.write(`${result.status}: ${result.received} of ${result.expected} results\n`);
    }
    return ok ? ExitCode.Ok : ExitCode.TaskFailed;
  } finally {
    await nc.close();
  }
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
 * One request on `<p>.api.submit`. Throws CliError for no coordinator, no reply, and a MeshError
 * for an error reply.
 */
export async function submitTask(
  nc: NatsConnection,
  subjects: Subjects,
  req: SubmitRequest,
  body: Uint8Array = encode(SubmitRequest, req),
): Promise<AggregatedResult> {
  const subject = subjects.api("submit");
  let msg;
  try {
    msg = await nc.request(subject, body, { timeout: req.timeoutMs + REQUEST_MARGIN_MS });
  } catch (err) {
    if (isNoResponders(err)) {
      throw new CliError(
        `no coordinator is serving ${subject}; start one with \`collector-mesh coordinator\``,
      );
    }
    if (isRequestTimeout(err)) {
      throw new CliError(
        `no reply on ${subject} within ${formatMs(req.timeoutMs + REQUEST_MARGIN_MS)}`,
      );
    }
    throw err;
  }
  const meshErr = MeshError.fromMsg(msg);
  if (meshErr) throw meshErr;
  return decode(AggregatedResult, msg.data, { subject });
}
