import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { authCommand } from "./auth/command.js";
import { collectorCommand } from "./commands/collector.js";
import { completionCommand } from "./commands/completion.js";
import { coordinatorCommand } from "./commands/coordinator.js";
import { demoCommand } from "./commands/demo.js";
import { statsCommand } from "./commands/stats.js";
import { statusCommand } from "./commands/status.js";
import { submitCommand } from "./commands/submit.js";
import { resultsCommand } from "./commands/results.js";
import { cancelCommand } from "./commands/cancel.js";
import { watchCommand } from "./commands/watch.js";
import { huntCommand } from "./commands/hunt.js";
import { oneLine } from "./errors.js";

/** The `collector-mesh` command and its subcommands. */
export function buildProgram(): Command {
  const program = new Command("collector-mesh")
    .description(
      "Coordinate host-monitoring collectors over NATS: capability routing, load balancing, " +
        "failover and result aggregation.",
    )
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      [
        "",
        "Options of every subcommand but completion and auth (see `collector-mesh <command> --help`):",
        "  --nats-url (env NATS_URL, which demo ignores), --prefix (env MESH_PREFIX),",
        "  --creds (env NATS_CREDS) or --nkey (env NATS_NKEY), --inbox-prefix,",
        "  --tls-ca/--tls-cert/--tls-key, --user (env NATS_USER), --password (env NATS_PASSWORD),",
        "  --log-level (env LOG_LEVEL); all but demo also take --config FILE (YAML; the",
        "  environment and flags override it).",
        "`collector-mesh auth` makes an nkey per party for a secured mesh (SECURITY.md).",
        "Durations are 500ms, 5s, 2m, 1h, 7d or a number of milliseconds.",
        "",
        "Try `collector-mesh demo` first.",
      ].join("\n"),
    );
  for (const cmd of [
    demoCommand(),
    coordinatorCommand(),
    collectorCommand(),
    submitCommand(),
    resultsCommand(),
    cancelCommand(),
    huntCommand(),
    statusCommand(),
    statsCommand(),
    watchCommand(),
    completionCommand(),
    authCommand(),
  ]) {
    program.addCommand(cmd);
  }
  // Errors print as one line (commander's suggestions included) and throw instead of exiting.
  const configure = (c: Command) => {
    c.exitOverride().configureOutput({
      outputError: (str, write) =>
        write(`collector-mesh: ${oneLine(str).replace(/^error: /, "")}\n`),
    });
    c.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Runs the command line; resolves to the exit code. Never throws. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
}
