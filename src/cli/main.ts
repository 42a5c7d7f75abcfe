#!/usr/bin/env node
import { run } from "./program.js";
import { describeError, CliError, ExitCode } from "./errors.js";

/** Ends the process once stdout and stderr have been written out. */
function exit(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

run(process.argv).then(exit, (err: unknown) => {
  process.stderr.write(`collector-mesh: ${describeError(err)}\n`);
  if (process.env.COLLECTOR_MESH_DEBUG === "1" && err instanceof Error && err.stack) {
    process.stderr.write(`${err.stack}\n`);
  }
  exit(err instanceof CliError ? err.exitCode : ExitCode.Error);
});
