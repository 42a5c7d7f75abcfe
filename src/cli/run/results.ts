import type { Command } from "commander";
import type { AggregatedResult } from "../../../subjects/index.js";
import { MeshClient } from "../../client/mesh-client.js";
import { commonOptions } from "../common.js";
import { connectAuthOptions, connectNats } from "../connect.js";
import { CliError, ExitCode } from "../errors.js";
import { jsonLine } from "../format.js";
import { formatJsonl, formatResult, type OutputFormat } from "../results/render.js";
import { reportDropped, submitterName } from "./submit.js";

interface ResultsFlags {
  owner?: string;
  output: OutputFormat;
  json?: boolean;
  verify?: boolean;
}

export async function run(
  values: Record<string, unknown>,
  _cmd: Command,
  correlationId?: string,
): Promise<number> {
  const flags = values as unknown as ResultsFlags;
  const common = commonOptions(values);
  const output: OutputFormat = flags.json ? "json" : flags.output;
  const id = correlationId ?? "";
  const owner = flags.owner ?? submitterName(common.nkey);
  const nc = await connectNats(common, { name: "collector-mesh results" });
  const inboxPrefix = connectAuthOptions(common).inboxPrefix;
  const client = new MeshClient(nc, {
    prefix: common.prefix,
    owner,
    verify: flags.verify === true,
    ...(inboxPrefix !== undefined ? { inboxPrefix } : {}),
  });
  try {
    let stored;
    try {
      stored = await client.results(id, owner);
      reportDropped(client);
    } catch (err) {
      throw new CliError(`cannot read the results of ${id}: ${String(err)}`, { cause: err });
    }
    if (stored.results.length === 0 && stored.verdict === undefined && stored.plan === undefined) {
      throw new CliError(
        `nothing is stored for ${id} of ${owner} (an unknown id, another --owner, or past retention)`,
      );
    }
    const v = stored.verdict;
    const r: AggregatedResult = {
      correlationId: id,
      status: v?.status ?? "partial",
      results: stored.results,
      expected: v?.expected ?? stored.plan?.expected ?? stored.results.length,
      received: stored.results.length,
      duplicates: v?.duplicates ?? 0,
      startedAt: v?.startedAt ?? stored.results[0]?.producedAt ?? 0,
      completedAt: v?.completedAt ?? Date.now(),
      ...(v?.error ? { error: v.error } : {}),
    };
    const text =
      output === "json" ? jsonLine(r) : output === "jsonl" ? formatJsonl(r) : formatResult(r);
    if (text !== "") process.stdout.write(`${text}\n`);
    if (v === undefined) process.stderr.write(`${id}: no verdict yet (still running?)\n`);
    const ok = r.status === "complete" && r.results.every((x) => x.status === "ok");
    return ok ? ExitCode.Ok : ExitCode.TaskFailed;
  } finally {
    await client.close();
    await nc.close();
  }
}
