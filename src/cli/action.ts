import type { Command, Option } from "commander";
import { CONFIG_OPTION, applyConfig, loadConfig } from "./config.js";
import { CliError } from "./errors.js";

/**
 * A subcommand's body: it receives the parsed option values (common ones included), the command
 * and its one positional argument when it takes one, and resolves to the exit code.
 */
export type RunFn = (
  values: Record<string, unknown>,
  cmd: Command,
  arg?: string,
) => Promise<number>;

/** Options that must have a value once the command line, environment and config file are read. */
const required = new WeakSet<Option>();

/**
 * Marks an option as required and says so in its help. It is checked after the config file is
 * applied (commander's own mandatory check would run before), so the file may supply it.
 */
export function markRequired<T extends Option>(option: T): T {
  required.add(option);
  option.description = `${option.description} (required)`;
  return option;
}

/**
 * A commander action that loads the subcommand's body only when it runs, so that `--help` and
 * argument errors do not pay for loading NATS, the coordinator or the collectors. Before the body
 * runs, the config file (`--config`) fills the options left at their defaults and required
 * options are checked. The exit code is left in process.exitCode for main().
 */
export function lazyAction(
  load: () => Promise<{ run: RunFn }>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    // commander calls actions with (...arguments, options, command).
    const cmd = args[args.length - 1] as Command;
    const arg = args.slice(0, -2).find((a): a is string => typeof a === "string");
    await prepareOptions(cmd);
    const { run } = await load();
    process.exitCode = await run(cmd.opts(), cmd, arg);
  };
}

/** Applies the config file and checks the required options of `cmd`. */
export async function prepareOptions(cmd: Command): Promise<void> {
  const file: unknown = cmd.getOptionValue(CONFIG_OPTION);
  if (typeof file === "string" && file !== "") {
    let root = cmd;
    while (root.parent) root = root.parent;
    applyConfig(cmd, await loadConfig(file, root));
  }
  for (const o of cmd.options) {
    if (required.has(o) && cmd.getOptionValue(o.attributeName()) === undefined) {
      const choices = o.argChoices ? ` (${o.argChoices.join(", ")})` : "";
      throw new CliError(
        `${cmd.name()} needs ${o.flags}${choices}, on the command line or in the config file`,
      );
    }
  }
}
