import type { Command } from "commander";
import { Hunts, type HuntSpec } from "../../hunts/client.js";
import type { HuntRecord, TaskPriority } from "../../../subjects/index.js";
import { commonOptions } from "../common.js";
import { connectNats } from "../connect.js";
import { CliError, ExitCode } from "../errors.js";
import { jsonLine } from "../format.js";
import { readPayload } from "../payload.js";
import { submitterName } from "./client.js";
import {
  describeHunt,
  formatList,
  formatPart,
  formatView,
  progressLine,
  startedLine,
} from "../hunts/render.js";

/** How often `hunt show` refreshes its progress line on a terminal. */
const REFRESH_MS = 1000;
/** How long `hunt start` waits for the leading coordinator to count the matching collectors. */
const MATCHED_WAIT_MS = 2000;

/** The record once a coordinator has counted its matching collectors, or as it is after a while. */
async function matchedSoon(hunts: Hunts, r: HuntRecord): Promise<HuntRecord> {
  const until = Date.now() + MATCHED_WAIT_MS;
  let cur = r;
  while (cur.matched === undefined && Date.now() < until) {
    await new Promise((done) => setTimeout(done, 100));
    cur = await hunts.get(r.huntId, r.createdBy);
  }
  return cur;
}

export async function run(
  values: Record<string, unknown>,
  cmd: Command,
  arg?: string,
): Promise<number> {
  const common = commonOptions(values);
  const owner = (values.owner as string | undefined) ?? submitterName(common.nkey);
  const nc = await connectNats(common, { name: `collector-mesh hunt ${cmd.name()}` });
  const hunts = new Hunts(nc, { prefix: common.prefix, owner });
  const out = (s: string) => process.stdout.write(`${s}\n`);
  try {
    switch (cmd.name()) {
      case "start": {
        const { payload } = await readPayload(arg);
        const spec: HuntSpec = {
          requiredCapabilities: values.caps as number,
          priority: values.priority as TaskPriority,
          ...(payload !== undefined ? { payload } : {}),
          ...(values.where !== undefined ? { where: values.where as string } : {}),
          ...(values.collectors !== undefined ? { collectors: values.collectors as string[] } : {}),
          lifeMs: values.expires as number,
          timeoutMs: values.timeout as number,
          ratePerSec: values.rate as number,
          maxErrorRate: values.maxErrorRate as number,
          minParts: values.minParts as number,
          ...(values.id !== undefined ? { huntId: values.id as string } : {}),
        };
        const r = await hunts.start(spec);
        if (values.json) out(jsonLine(r));
        else {
          describeHunt(r).forEach((l) => out(l));
          out(startedLine(await matchedSoon(hunts, r), `collector-mesh hunt show ${r.huntId}`));
        }
        return ExitCode.Ok;
      }
      case "ls": {
        const list = await hunts.list(owner);
        if (values.json) list.forEach((r) => out(jsonLine(r)));
        else out(formatList(list));
        return ExitCode.Ok;
      }
      case "show":
        return await show(hunts, arg ?? "", owner, values);
      case "results": {
        const it = hunts.results(arg ?? "", { owner, follow: values.follow === true });
        const end = () => it.stop();
        process.once("SIGINT", end);
        try {
          for await (const p of it) out(values.json ? jsonLine(p) : formatPart(p));
        } finally {
          process.removeListener("SIGINT", end);
        }
        return ExitCode.Ok;
      }
      case "stop":
      case "resume": {
        const id = arg ?? "";
        const r =
          cmd.name() === "stop"
            ? await hunts.stop(id, values.reason as string | undefined)
            : await hunts.resume(id);
        if (r === undefined) {
          throw new CliError(
            `hunt ${id} of ${owner} is not there, or already ${cmd.name() === "stop" ? "stopped or expired" : "running or expired"}`,
          );
        }
        out(`hunt ${id}: ${r.state}`);
        return ExitCode.Ok;
      }
      default:
        throw new CliError(`unknown hunt command ${cmd.name()}`);
    }
  } finally {
    await nc.close();
  }
}

/** Once, or on a terminal a live progress line until nothing is pending (or Ctrl-C), then the table. */
async function show(
  hunts: Hunts,
  id: string,
  owner: string,
  values: Record<string, unknown>,
): Promise<number> {
  let v = await hunts.show(id, owner);
  if (values.json) {
    process.stdout.write(`${jsonLine(v)}\n`);
    return ExitCode.Ok;
  }
  const live = process.stdout.isTTY && values.follow !== false;
  if (live) {
    let stopped = false;
    const end = () => (stopped = true);
    process.once("SIGINT", end);
    try {
      while (
        !stopped &&
        v.record.state === "running" &&
        (v.progress.pending > 0 || v.progress.targeted === 0)
      ) {
        process.stdout.write(`\r\x1b[2K${progressLine(v.progress, true)}`);
        await new Promise((r) => setTimeout(r, REFRESH_MS));
        v = await hunts.show(id, owner);
      }
    } finally {
      process.removeListener("SIGINT", end);
      process.stdout.write("\r\x1b[2K");
    }
  }
  process.stdout.write(`${formatView(v)}\n`);
  return ExitCode.Ok;
}
