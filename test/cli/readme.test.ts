import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { ROOT } from "./cli.js";

/**
 * README's command lines are the command's: every `collector-mesh …` it shows names a subcommand
 * and flags that exist, every flag it names on its own is some subcommand's, and long-running
 * processes are never run through npx.
 */

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
const program = buildProgram();

/** Lines of ```sh blocks and inline code spans. */
function codeSnippets(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/```sh\n([\s\S]*?)```/g)) out.push(...(m[1] ?? "").split("\n"));
  const prose = md.replace(/```[\s\S]*?```/g, "");
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) out.push(m[1] ?? "");
  return out.map((s) => s.trim()).filter((s) => s !== "");
}

/** Shell words of a command line, single quotes kept together, up to a redirection or `)`. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'[^']*'|"[^"]*"|[^\s'"]+/g)) {
    const w = m[0];
    if (/^[>|;)]/.test(w) || w === "2>&1") break;
    out.push(w.replace(/\)$/, ""));
  }
  return out;
}

/** Every `collector-mesh` command line README shows. */
function commandLines(): string[][] {
  const lines: string[][] = [];
  for (const snippet of codeSnippets(readme)) {
    // A command starts the snippet or a command substitution (`source <(collector-mesh …)`);
    // elsewhere the name is an argument (`docker build -t collector-mesh .`).
    for (const m of snippet.matchAll(/(?:^|\()collector-mesh /g)) {
      const w = words(snippet.slice((m.index ?? 0) + (m[0].startsWith("(") ? 1 : 0)));
      if (w[1] !== undefined && !w[1].startsWith("<")) lines.push(w);
    }
  }
  return lines;
}

function longFlags(c: Command): string[] {
  return [...c.options.map((o) => o.long ?? ""), "--help"];
}

describe("cli README", () => {
  it("cli - README runs no collector-mesh command through npx, and says how to install it", () => {
    expect(readme).not.toMatch(/npx collector-mesh/);
    expect(readme).toContain("npm install -g .");
    expect(readme).toContain("npm link");
  });

  it("cli - every collector-mesh command line in README has that subcommand and those flags", () => {
    const lines = commandLines();
    const subs = new Set(lines.map((l) => l[1]));
    for (const s of [
      "coordinator",
      "collector",
      "submit",
      "status",
      "stats",
      "watch",
      "completion",
    ]) {
      expect(subs, s).toContain(s);
    }
    for (const [, sub, ...rest] of lines) {
      if (sub === "--version" || sub === "--help") continue;
      let cmd = program.commands.find((c) => c.name() === sub);
      expect(cmd, `collector-mesh ${sub}`).toBeDefined();
      // A command with subcommands of its own (auth): the next word names one.
      let args = rest;
      const nested = cmd!.commands.find((c) => c.name() === rest[0]);
      if (cmd!.commands.length > 0) {
        expect(nested, `collector-mesh ${sub} ${rest[0]}`).toBeDefined();
        cmd = nested;
        args = rest.slice(1);
      }
      for (const a of args.filter((x) => x.startsWith("--"))) {
        expect(longFlags(cmd!), `collector-mesh ${sub} ${a}`).toContain(a.split("=")[0]);
      }
      const choices = cmd!.registeredArguments[0]?.argChoices;
      if (choices) expect(choices, `collector-mesh ${sub} ${args[0]}`).toContain(args[0]);
    }
  });

  it("cli - every flag README names on its own belongs to a subcommand", () => {
    const commands = program.commands.flatMap((c) => [c, ...c.commands]);
    const all = new Set(commands.flatMap(longFlags));
    const named = codeSnippets(readme).filter((s) => /^--[a-z][a-z-]*( [A-Za-z.]+)?$/.test(s));
    expect(named.length).toBeGreaterThan(10);
    for (const n of named) expect([...all], n).toContain(n.split(" ")[0]);
  });

  it("cli - the commands README says take the connection options take them, the others none", () => {
    const m = /All commands but (.+?) take\s+(`--nats-url`.+?`--log-level`)/s.exec(readme);
    expect(m, "README's sentence on the options every command takes").not.toBeNull();
    const except = [...m![1]!.matchAll(/`([a-z-]+)`/g)].map((x) => x[1]);
    const flags = [...m![2]!.matchAll(/`(--[a-z-]+)`/g)].map((x) => x[1]!);
    expect(flags).toHaveLength(11);
    for (const top of program.commands) {
      if (top.name() === "help") continue;
      for (const c of top.commands.length > 0 ? top.commands : [top]) {
        const longs = c.options.map((o) => o.long);
        const name = `${top.name()} ${c === top ? "" : c.name()}`.trim();
        if (except.includes(top.name())) expect(longs, name).not.toContain("--nats-url");
        else for (const f of flags) expect(longs, `${name} ${f}`).toContain(f);
      }
    }
  });

  it("cli - every link in README leads to a file of the checkout, and to a heading there", () => {
    /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-");
    const anchors = (md: string) =>
      new Set(
        [...md.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} (.+)$/gm)].map((h) =>
          slug(h[1] ?? ""),
        ),
      );
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((l) => l[1]!);
    expect(links.length).toBeGreaterThan(5);
    for (const link of links.filter((l) => !/^[a-z]+:/.test(l))) {
      const [file, anchor] = link.split("#");
      const target = file === "" ? "README.md" : file!;
      expect(existsSync(path.join(ROOT, target)), link).toBe(true);
      if (anchor !== undefined) {
        const md = readFileSync(path.join(ROOT, target), "utf8");
        expect([...anchors(md)], link).toContain(anchor);
      }
    }
  });

  it("cli - the environment variables README names are the ones the command reads", () => {
    const envs = new Set(program.commands.flatMap((c) => c.options.map((o) => o.envVar)));
    for (const name of [
      "NATS_URL",
      "MESH_PREFIX",
      "NATS_CREDS",
      "NATS_USER",
      "NATS_PASSWORD",
      "LOG_LEVEL",
      "METRICS_PORT",
      "METRICS_HOST",
    ]) {
      expect(readme, name).toContain(`\`${name}\``);
      expect([...envs], name).toContain(name);
    }
    // demo takes --nats-url only from its command line, as README says.
    const demo = program.commands.find((c) => c.name() === "demo")!;
    expect(demo.options.find((o) => o.long === "--nats-url")?.envVar).toBeUndefined();
    expect(readme).toMatch(/`demo` ignores\s+`NATS_URL`/);
  });
});
