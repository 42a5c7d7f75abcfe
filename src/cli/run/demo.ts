import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  NATS_SERVER_INSTALL_HINT,
  NatsServer,
  NatsServerNotFoundError,
} from "../../server/nats-server.js";
import { Subjects } from "../../../subjects/index.js";
import { commonOptions, type CommonOptions } from "../common.js";
import { connectNats } from "../connect.js";
import { CliError, ExitCode, describeError } from "../errors.js";
import { formatMs } from "../format.js";
import { withTimeout } from "../lifecycle.js";
import { DemoChildren, type DemoChild } from "../demo/children.js";
import {
  COLLECTORS,
  COORDINATOR_ID,
  VICTIM,
  followFailovers,
  startDemoProcesses,
  waitUntilReady,
} from "../demo/mesh.js";
import { Progress } from "../demo/progress.js";
import { formatSummary, summarize } from "../demo/summary.js";
import { createDemoFiles, runWorkload, type TaskOutcome } from "../demo/workload.js";

const CONCURRENCY = 16;
const TASK_TIMEOUT_MS = 20_000;

interface DemoFlags {
  tasks: number;
  kill: boolean;
}

/** What the demo started, stopped in reverse by cleanup(). */
class DemoResources {
  dir: string | undefined;
  server: NatsServer | undefined;
  children: DemoChildren | undefined;
  nc: NatsConnection | undefined;
  #cleaned: Promise<void> | undefined;

  cleanup(): Promise<void> {
    this.#cleaned ??= this.#cleanup();
    return this.#cleaned;
  }

  async #cleanup(): Promise<void> {
    const nc = this.nc;
    if (nc) await withTimeout(2000, () => nc.close()).catch(() => undefined);
    await this.children?.stopAll(8000);
    await this.server?.stop().catch(() => undefined);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function run(values: Record<string, unknown>): Promise<number> {
  const flags = values as unknown as DemoFlags;
  const common = commonOptions(values);
  const res = new DemoResources();
  const interrupt = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) interrupt.abort();
    else res.children?.killAll();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const interrupted = new Promise<never>((_, reject) =>
    interrupt.signal.addEventListener("abort", () => reject(new Interrupted())),
  );
  interrupted.catch(() => undefined);
  const body = demo(flags, common, res, interrupt.signal);
  body.catch(() => undefined);
  try {
    return await Promise.race([body, interrupted]);
  } catch (err) {
    if (!interrupt.signal.aborted) throw err;
    process.stdout.write("\n");
    process.stderr.write("interrupted: stopping everything the demo started\n");
    // Closing the connection ends the requests in flight; the body then stops at its next step,
    // having recorded everything it started (a server or child being started is awaited).
    const nc = res.nc;
    if (nc) await withTimeout(2000, () => nc.close()).catch(() => undefined);
    await withTimeout(15_000, () => body.catch(() => undefined));
    return ExitCode.Interrupted;
  } finally {
    await res.cleanup();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

class Interrupted extends Error {}

async function demo(
  flags: DemoFlags,
  common: CommonOptions,
  res: DemoResources,
  signal: AbortSignal,
): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const subjects = new Subjects(common.prefix);
  res.dir = mkdtempSync(path.join(tmpdir(), "collector-mesh-demo-"));
  const logDir = path.join(res.dir, "logs");
  const fsRoot = path.join(res.dir, "fsroot");
  mkdirSync(logDir);
  const files = createDemoFiles(fsRoot);

  out("collector-mesh demo");
  let url = common.natsUrl;
  if (url === undefined) {
    try {
      res.server = await NatsServer.start({ jetstream: true, parentDir: res.dir });
    } catch (err) {
      if (err instanceof NatsServerNotFoundError) throw new CliError(NATS_SERVER_INSTALL_HINT);
      throw new CliError(`cannot start the embedded nats-server: ${describeError(err)}`);
    }
    url = res.server.url;
    const version = await res.server.version().catch(() => "(version unknown)");
    out(`  embedded nats-server ${version} on ${url} (JetStream store in ${res.server.storeDir})`);
  } else {
    out(`  using the NATS server at ${url}`);
  }
  signal.throwIfAborted();
  const nc = await connectNats(
    { natsUrl: url, creds: common.creds },
    {
      name: "collector-mesh demo",
      longRunning: true,
    },
  );
  res.nc = nc;
  signal.throwIfAborted();

  const failovers = { events: 0, tasksMoved: 0 };
  const children = new DemoChildren(logDir);
  res.children = children;
  const crashed: DemoChild[] = [];
  const progress = new Progress(flags.tasks);
  children.onUnexpectedExit((c) => {
    crashed.push(c);
    progress.note(
      `! ${c.name} exited unexpectedly (${c.exit ?? "?"}); its log follows the summary`,
    );
  });
  const failoverSub = followFailovers(nc, subjects, (e) => {
    failovers.events++;
    failovers.tasksMoved += e.taskIds.length;
    const target = e.failoverTargetId ? ` → ${e.failoverTargetId}` : "";
    const n = e.taskIds.length;
    progress.note(
      `↻ failover ${e.failedCollectorId}${target}: ${n} task${n === 1 ? "" : "s"} moved (${e.reason})`,
    );
  });

  const t0 = performance.now();
  startDemoProcesses(children, { url, prefix: common.prefix, creds: common.creds, fsRoot });
  out(
    `  starting ${COORDINATOR_ID}, ${COLLECTORS.map((c) => c.id).join(", ")} (logs in ${logDir})`,
  );
  await waitUntilReady(nc, subjects, children, signal);
  out(
    `  ready in ${formatMs(performance.now() - t0)}: ${COLLECTORS.length} collectors advertised, ` +
      `${COORDINATOR_ID} answering on ${subjects.api("submit")}`,
  );

  const total = flags.tasks;
  const killAt = flags.kill ? Math.floor(total / 2) : -1;
  out(
    `  running ${total} tasks (process listings, socket listings, file stats; mixed priorities; ` +
      `${CONCURRENCY} in flight)${flags.kill ? `; ${VICTIM} gets SIGKILL after ${killAt}` : ""}`,
  );
  let done = 0;
  let killed = false;
  const w0 = performance.now();
  const outcomes: TaskOutcome[] = await runWorkload({
    nc,
    subjects,
    total,
    concurrency: CONCURRENCY,
    signal,
    context: {
      pids: () =>
        [process.pid, ...children.all().map((c) => c.proc.pid)].filter(
          (p): p is number => p !== undefined,
        ),
      natsPort: portOf(url),
      fsRoot,
      files,
      timeoutMs: TASK_TIMEOUT_MS,
    },
    onOutcome: (_o, inFlight) => {
      done++;
      if (!killed && done >= killAt && killAt >= 0) {
        killed = true;
        children.kill(VICTIM, "SIGKILL");
        progress.note(`✗ SIGKILL ${VICTIM} after ${done} of ${total} tasks`);
      }
      progress.update(done, inFlight, failovers.events);
    },
  });
  signal.throwIfAborted();
  const wallMs = performance.now() - w0;
  progress.finish();
  await nc.flush();
  failoverSub.unsubscribe();

  out(`  stopping ${COORDINATOR_ID}, the collectors${res.server ? " and nats-server" : ""}`);
  const summary = summarize(total, outcomes, failovers, wallMs);
  const failed = outcomes.filter((o) => !o.ok);
  // Read the logs of processes that died on their own before the clean-up removes them.
  const crashLogs = crashed.map((c) => ({ name: c.name, lines: children.logTail(c.name) }));
  await res.cleanup();

  out("");
  out(
    formatSummary(
      summary,
      COLLECTORS.map((c) => ({ id: c.id, type: c.type, killed: killed && c.id === VICTIM })),
    )
      .split("\n")
      .map((l) => (l ? `  ${l}` : l))
      .join("\n"),
  );
  if (failed.length > 0) {
    process.stderr.write(`\n${failed.length} task(s) not completed, for example:\n`);
    for (const o of failed.slice(0, 5)) {
      process.stderr.write(`  task ${o.task.index} (${o.task.kind}): ${o.error ?? "?"}\n`);
    }
  }
  for (const c of crashLogs) {
    process.stderr.write(`\nlast lines of ${c.name}'s log:\n`);
    for (const l of c.lines) process.stderr.write(`  ${l}\n`);
  }
  return summary.lost > 0 ? ExitCode.Error : ExitCode.Ok;
}

function portOf(url: string): number | undefined {
  try {
    const p = Number(new URL(url.split(",")[0] ?? "").port);
    return p > 0 ? p : undefined;
  } catch {
    return undefined;
  }
}
