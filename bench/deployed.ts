/**
 * The coordinator's node options as deployed: the NODE_OPTIONS line of its systemd unit, which
 * docker-compose.yml's coordinator service repeats (test/deploy/deploy.test.ts keeps them equal).
 * Benchmarks that run a coordinator in its own process start it with these.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const UNIT = fileURLToPath(
  new URL("../deploy/systemd/collector-mesh-coordinator.service", import.meta.url),
);

/** The unit's NODE_OPTIONS, or the environment variable `override` when it is set (empty: V8's defaults). */
export function deployedNodeOptions(override: string): string {
  const own = process.env[override];
  if (own !== undefined) return own;
  const m = /^Environment="NODE_OPTIONS=([^"]*)"$/m.exec(readFileSync(UNIT, "utf8"));
  if (!m) throw new Error(`${UNIT} sets no NODE_OPTIONS`);
  return m[1]!;
}

/** This process's environment without NODE_OPTIONS: for the children that are not the coordinator. */
export function envWithoutNodeOptions(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}
