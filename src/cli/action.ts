import type { Command } from "commander";

/**
 * A subcommand's body: it receives the parsed option values (common ones included), the command
 * and the positional arguments, and resolves to the exit code.
 */
export type RunFn = (
  values: Record<string, unknown>,
  cmd: Command,
  ...args: string[]
) => Promise<number>;

/**
 * A commander action that loads the subcommand's body only when it runs, so that `--help` and
 * argument errors do not pay for loading NATS, the coordinator or the collectors. The exit code
 * is left in process.exitCode for main().
 */
export function lazyAction(
  load: () => Promise<{ run: RunFn }>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    // commander calls actions with (...arguments, options, command).
    const cmd = args[args.length - 1] as Command;
    const positional = args.slice(0, -2).filter((a): a is string => typeof a === "string");
    const { run } = await load();
    process.exitCode = await run(cmd.opts(), cmd, ...positional);
  };
}
