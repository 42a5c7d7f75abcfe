import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { cli } from "./cli.js";

/** Shell completion as a user gets it: `collector-mesh completion bash|zsh`, run in bash. */

let dir: string;
let bashScript: string;
let zshScript: string;
const program = buildProgram();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "cli-completion-"));
  const [bash, zsh] = await Promise.all([cli(["completion", "bash"]), cli(["completion", "zsh"])]);
  expect(bash.code, bash.stderr).toBe(0);
  expect(zsh.code, zsh.stderr).toBe(0);
  bashScript = path.join(dir, "collector-mesh.bash");
  writeFileSync(bashScript, bash.stdout);
  zshScript = zsh.stdout;
  for (const d of ["roots-a", "roots-b"]) mkdirSync(path.join(dir, d));
  writeFileSync(path.join(dir, "roots-file"), "");
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash's completion function offers for the words typed so far (`cur` is the last). */
function complete(...typed: string[]): string[] {
  const words = ["collector-mesh", ...typed];
  const script = [
    `source ${JSON.stringify(bashScript)}`,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})`,
    `COMP_CWORD=${words.length - 1}`,
    'COMP_LINE="${COMP_WORDS[*]}"',
    "_collector_mesh",
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join("\n");
  const r = spawnSync("bash", ["--norc", "--noprofile", "-c", script], {
    encoding: "utf8",
    cwd: dir,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").filter((l) => l !== "");
}

describe("cli completion", { timeout: 60_000 }, () => {
  it("cli - bash completion offers every subcommand, and those a prefix selects", () => {
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(["stats", "completion", "coordinator"]));
    expect(complete("").sort()).toEqual(
      [...names, "help", "-V", "--version", "-h", "--help"].sort(),
    );
    expect(complete("co").sort()).toEqual(["collector", "completion", "coordinator"]);
    expect(complete("st")).toEqual(["status", "stats"]);
  });

  it("cli - bash completion offers each subcommand's own flags, as the program defines them", () => {
    for (const c of program.commands) {
      const offered = complete(c.name(), "--");
      const longs = c.options.filter((o) => !o.hidden).map((o) => o.long);
      expect(offered.sort(), c.name()).toEqual([...longs, "--help"].sort());
    }
    expect(complete("collector", "--ro")).toEqual(["--roots"]);
    expect(complete("coordinator", "--metrics-")).toEqual(["--metrics-port", "--metrics-host"]);
  });

  it("cli - bash completion offers the values an option takes", () => {
    expect(complete("collector", "--type", "")).toEqual(["procmond", "netmond", "fsmond"]);
    expect(complete("submit", "--output", "j")).toEqual(["json", "jsonl"]);
    expect(complete("submit", "--caps", "")).toContain("FILESYSTEM");
    expect(complete("submit", "--priority", "c")).toEqual(["critical"]);
    expect(complete("coordinator", "--strategy", "p")).toEqual(["p2c-ewma"]);
    expect(complete("status", "--log-level", "")).toContain("debug");
    expect(complete("completion", "")).toEqual(["bash", "zsh"]);
    expect(complete("help", "sub")).toEqual(["submit"]);
    // Options after a value still complete, directories for --roots.
    expect(complete("collector", "--type", "fsmond", "--roots", "roots-").sort()).toEqual([
      "roots-a",
      "roots-b",
    ]);
    expect(complete("collector", "--type", "fsmond", "--he")).toEqual(["--heartbeat", "--help"]);
  });

  it("cli - the zsh script names every subcommand and flag with its values", () => {
    expect(zshScript.startsWith("#compdef collector-mesh\n")).toBe(true);
    for (const c of program.commands) {
      expect(zshScript, c.name()).toContain(`'${c.name()}:`);
      for (const o of c.options.filter((x) => !x.hidden)) {
        expect(zshScript, `${c.name()} ${o.long}`).toContain(`'${o.long}[`);
      }
    }
    expect(zshScript).toContain("(procmond netmond fsmond)");
    expect(zshScript).toContain(":file:_files");
    // Every quote is balanced: _arguments specs are single-quoted.
    for (const line of zshScript.split("\n")) {
      const unescaped = line.replace(/'\\''/g, "");
      expect((unescaped.match(/'/g) ?? []).length % 2, line).toBe(0);
    }
  });
});
