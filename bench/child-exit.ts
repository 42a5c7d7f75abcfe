/**
 * How a benchmark's child process ends, from both sides. The child: on SIGTERM, SIGINT or its
 * stdin closing (the harness holds the other end of the pipe, so this happens even when the
 * harness is SIGKILLed), it runs `stop` once and exits 0; a `stop` that takes longer than
 * `graceMs` exits 1 instead. The harness: SIGTERM, then SIGKILL if it has not exited in time.
 */
import type { ChildProcess } from "node:child_process";

export function exitWhenTold(stop: () => Promise<unknown>, graceMs: number): void {
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), graceMs).unref();
    await stop().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
  process.stdin.once("end", () => void shutdown());
  process.stdin.once("close", () => void shutdown());
  process.stdin.resume();
}

/** SIGTERMs a running child, SIGKILLs it after `graceMs`; resolves once `exited` does. */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  graceMs: number,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
