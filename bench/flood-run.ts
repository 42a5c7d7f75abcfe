/**
 * The harness's side of the flood phase: runs bench/flood-child.ts with the coordinator's node
 * options as deployed (FLOOD_NODE_OPTIONS overrides them; empty: V8's defaults) and reads its
 * figures.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { deployedNodeOptions } from "./deployed.js";
import {
  FLOOD_RATE,
  FLOOD_VALID_RATE,
  type FloodFigures,
  type FloodOptions,
} from "./flood-phase.js";
import type { Plan } from "./plan.js";

export async function runFloodChild(url: string, plan: Plan): Promise<FloodFigures> {
  const o: FloodOptions = {
    messages: plan.floodMessages,
    perSecond: FLOOD_RATE,
    validPerSecond: FLOOD_VALID_RATE,
    baselineMs: plan.floodBaselineMs,
  };
  const script = fileURLToPath(new URL("./flood-child.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", script, url, JSON.stringify(o)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, NODE_OPTIONS: deployedNodeOptions("FLOOD_NODE_OPTIONS") },
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  const line = out.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`flood phase exited ${code}: ${out}`);
  return JSON.parse(line) as FloodFigures;
}
