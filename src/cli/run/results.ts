import type { RunFn } from "../action.js";
import type { AggregatedResult } from "../../../subjects/index.js";
import { CliError, ExitCode } from "../errors.js";
import { jsonLine } from "../format.js";
import { formatJsonl, formatResult, type OutputFormat } from "../results/render.js";
import { withClient } from "./client.js";
import { reportDropped } from "./submit.js";

interface ResultsFlags {
  owner?: string;
  output: OutputFormat;
  json?: boolean;
  verify?: boolean;
}

export const run: RunFn = (values, _cmd, id = "") => {
  const flags = values as unknown as ResultsFlags;
  const output: OutputFormat = flags.json ? "json" : flags.output;
  const init = { verify: flags.verify === true };
  return withClient(values, "results", init, async ({ client, owner }) => {
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
  });
};
