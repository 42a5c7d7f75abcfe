/**
 * The flood phase in its own process, so that its coordinator runs with the node options it is
 * deployed with (bench/deployed.ts): `node --import tsx bench/flood-child.ts <url> <options json>`.
 * Progress goes to stderr; the last stdout line is the figures as JSON. Exits when its stdin (a
 * pipe from the harness) closes, stopping what it started.
 */
import { exitWhenTold } from "./child-exit.js";
import { benchFlood, spawned, type FloodOptions } from "./flood-phase.js";

const [url, json] = process.argv.slice(2);
exitWhenTold(() => {
  for (const c of spawned) c.kill("SIGKILL");
  return Promise.resolve();
}, 2000);
const figures = await benchFlood(url as string, JSON.parse(json as string) as FloodOptions, (m) =>
  process.stderr.write(`bench: ${m}\n`),
);
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
