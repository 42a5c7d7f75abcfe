/**
 * Process lifecycle of the long-running subcommands: wait for SIGINT/SIGTERM (or, for children of
 * `demo`, for the parent to go away), then run the shutdown once.
 */

/**
 * Set by `demo` on its children: they exit when their stdin (a pipe from the demo) closes, so
 * that even a demo killed with SIGKILL leaves no process behind.
 */
export const EXIT_WITH_PARENT_ENV = "COLLECTOR_MESH_EXIT_WITH_PARENT";

export type ShutdownReason = "SIGINT" | "SIGTERM" | "parent exited";

/** Resolves with the reason at the first SIGINT/SIGTERM (or parent exit, see above). */
export function waitForShutdown(): Promise<ShutdownReason> {
  return new Promise((resolve) => {
    let fired = false;
    const done = (reason: ShutdownReason) => {
      if (fired) return;
      fired = true;
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      // A second signal during the drain ends the process at once.
      process.once("SIGINT", () => process.exit(130));
      process.once("SIGTERM", () => process.exit(143));
      resolve(reason);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    if (process.env[EXIT_WITH_PARENT_ENV] === "1" && !process.stdin.isTTY) {
      process.stdin.on("data", () => undefined);
      process.stdin.once("close", () => done("parent exited"));
      process.stdin.once("error", () => done("parent exited"));
    }
  });
}

/** Runs `fn`, giving up after `ms` (a shutdown step must not hang the exit). */
export async function withTimeout<T>(ms: number, fn: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  try {
    return await Promise.race([fn(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
