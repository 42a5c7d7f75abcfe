import type { Command } from "commander";
import type { NatsConnection } from "@nats-io/nats-core";
import { decode, encode } from "../../codec.js";
import { MeshError } from "../../errors.js";
import {
  AggregatedResult,
  Subjects,
  SubmitRequest,
  type TaskPriority,
} from "../../../subjects/index.js";
import { commonOptions } from "../common.js";
import { connectNats } from "../connect.js";
import { CliError, ExitCode, isNoResponders, isRequestTimeout, oneLine } from "../errors.js";
import { formatMs, jsonLine, summarizePayload, table } from "../format.js";

/** Added to the task timeout for the request's own timeout: the coordinator answers at the deadline. */
export const REQUEST_MARGIN_MS = 2000;

interface SubmitFlags {
  caps: number;
  priority: TaskPriority;
  mode: "one" | "all";
  timeout: number;
  expected?: number;
  json?: boolean;
}

export async function run(
  values: Record<string, unknown>,
  _cmd: Command,
  payloadJson?: string,
): Promise<number> {
  const flags = values as unknown as SubmitFlags;
  const common = commonOptions(values);
  const payload = parsePayloadJson(payloadJson);
  const nc = await connectNats(common, { name: "collector-mesh submit" });
  try {
    const result = await submitTask(nc, new Subjects(common.prefix), {
      requiredCapabilities: flags.caps,
      priority: flags.priority,
      payload,
      mode: flags.mode,
      expected: flags.expected,
      timeoutMs: flags.timeout,
    });
    process.stdout.write(flags.json ? `${jsonLine(result)}\n` : `${formatResult(result)}\n`);
    const ok = result.status === "complete" && result.results.every((r) => r.status === "ok");
    return ok ? ExitCode.Ok : ExitCode.TaskFailed;
  } finally {
    await nc.close();
  }
}

function parsePayloadJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(`PAYLOAD_JSON is not valid JSON: ${oneLine((err as Error).message)}`);
  }
}

/**
 * One request on `<p>.api.submit`. Throws CliError for no coordinator, no reply, and a MeshError
 * for an error reply.
 */
export async function submitTask(
  nc: NatsConnection,
  subjects: Subjects,
  req: SubmitRequest,
): Promise<AggregatedResult> {
  const subject = subjects.api("submit");
  let msg;
  try {
    msg = await nc.request(subject, encode(SubmitRequest, req), {
      timeout: req.timeoutMs + REQUEST_MARGIN_MS,
    });
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

/** Status line, then one line per result. */
export function formatResult(r: AggregatedResult): string {
  const took = formatMs(Math.max(0, r.completedAt - r.startedAt));
  const head =
    `${r.status}: ${r.received} of ${r.expected} result${r.expected === 1 ? "" : "s"} in ${took}` +
    (r.duplicates > 0
      ? `, ${r.duplicates} duplicate${r.duplicates === 1 ? "" : "s"} dropped`
      : "") +
    ` (correlation ${r.correlationId})`;
  const lines = [head];
  if (r.error) lines.push(`error ${r.error.code}: ${oneLine(r.error.message)}`);
  else if (r.received < r.expected && r.status !== "complete") {
    lines.push(
      `${r.expected - r.received} result(s) missing at the deadline; ` +
        "`collector-mesh status` shows whether the capable collectors are healthy",
    );
  }
  if (r.results.length > 0) {
    const rows = r.results.map((res) => [
      res.collectorId,
      res.status,
      formatMs(res.processingMs),
      res.status === "ok"
        ? summarizePayload(res.payload)
        : `${res.error?.code ?? "ERROR"}: ${oneLine(res.error?.message ?? "")}`,
    ]);
    lines.push(
      table(["collector", "status", "took", "result"], rows, [2])
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
    );
  }
  return lines.join("\n");
}
