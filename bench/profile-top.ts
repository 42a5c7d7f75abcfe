/**
 * Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`):
 *   npx tsx bench/profile-top.ts <file.cpuprofile> [rows=30]
 * Prints self time, its share of the sampled (non-idle) time, function and location; total
 * (inclusive) time of functions under the current directory (the project and its node_modules);
 * and self time per file (node_modules packages grouped), to see what a hot path spends on.
 * The V8 profiler samples wall time: on a busy machine a native call during which the thread was
 * preempted (a socket write that wakes the server, typically `writeBuffer`) looks heavier than it
 * is; compare with the CPU time per round trip the benchmark reports.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: profile-top.ts <file.cpuprofile> [rows]");
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const prof = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i] as number;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}

const fns = new Map<string, number>();
const files = new Map<string, number>();
let busy = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const f = byId.get(id)?.callFrame;
  if (!f) continue;
  const name = f.functionName || "(anonymous)";
  if (name === "(idle)" || name === "(program)") {
    idle += us;
    continue;
  }
  busy += us;
  const where = shortUrl(f.url);
  const key = `${name}  ${where}${f.url ? `:${f.lineNumber + 1}` : ""}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
  files.set(where, (files.get(where) ?? 0) + us);
}

function shortUrl(url: string): string {
  if (!url) return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const cwd = `file://${process.cwd()}/`;
  return url.startsWith(cwd) ? url.slice(cwd.length) : url.replace(/^node:/, "node:");
}

// Inclusive time: a node's self time plus its descendants', counted once per function even when
// it recurses (a node is skipped when an ancestor has the same function).
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const keyOf = (id: number): string | undefined => {
  const f = byId.get(id)?.callFrame;
  if (!f || !f.url.startsWith(`file://${process.cwd()}/`)) return undefined;
  return `${f.functionName || "(anonymous)"}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
};
const total = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const k = keyOf(n);
    if (k === undefined || seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + us);
  }
}

const pct = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
const ms = (us: number): string => `${(us / 1000).toFixed(0).padStart(7)} ms`;
console.log(`busy ${ms(busy)}, idle/program ${ms(idle)}`);
console.log("\nself time by function");
for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
  console.log(`${ms(us)} ${pct(us)}  ${k}`);
}
console.log("\ntotal (inclusive) time of functions under this directory");
for (const [k, us] of [...total].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
  console.log(`${ms(us)} ${pct(us)}  ${k}`);
}
console.log("\nself time by file / package");
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
  console.log(`${ms(us)} ${pct(us)}  ${k}`);
}
