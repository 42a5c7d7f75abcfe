/**
 * `collector-mesh auth` as a user meets it, without a server: the directory it writes, what it
 * refuses (in one line), `ls`, and that `remove` takes the identity out of server.conf and
 * deletes its seed. The permissions themselves are proven on a server in the other files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli as runCli, isOneLineError } from "../cli/cli.js";
import { cli } from "./support.js";

let dir: string;
beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), "collector-mesh-auth-cli-")), "auth");
  await cli("auth", "init", "--dir", dir, "--prefix", "acme");
  await cli("auth", "add-collector", "fs-1", "--type", "fsmond", "--dir", dir);
  await cli("auth", "add-collector", "x-1", "--caps", "NETWORK|REALTIME", "--dir", dir);
  await cli("auth", "add-publisher", "x-1", "--dir", dir);
});
afterAll(() => rmSync(join(dir, ".."), { recursive: true, force: true }));

describe("security - the auth command", () => {
  it("security - auth ls --json lists identities, inbox prefixes and seed files; no seed in server.conf", async () => {
    const r = await runCli(["auth", "ls", "--json", "--dir", dir]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as {
      role: string;
      name: string;
      inboxPrefix: string;
      seed: string;
      domains: string[];
    }[];
    expect(rows.map((x) => [x.role, x.name, x.inboxPrefix, x.domains])).toEqual([
      ["collector", "fs-1", "_INBOX_collector_fs-1", ["filesystem", "generic"]],
      ["collector", "x-1", "_INBOX_collector_x-1", ["network", "generic"]],
      ["publisher", "x-1", "_INBOX_publisher_x-1", []],
    ]);
    for (const row of rows) expect(readFileSync(row.seed, "utf8")).toMatch(/^SU[A-Z2-7]{56}\n$/);
    const conf = readFileSync(join(dir, "server.conf"), "utf8");
    expect(conf).not.toMatch(/SU[A-Z2-7]{56}/);
    // The prefix of init is the prefix of every subject.
    expect(conf).toContain('"acme.collector.fs-1.task"');
    expect(conf).toContain('"acme.task.filesystem.* acme.filesystem"');
  });

  it("security - auth refuses a second init, a duplicate, a bad name and a collector without domains", async () => {
    for (const args of [
      ["auth", "init", "--dir", dir],
      ["auth", "add-collector", "fs-1", "--type", "fsmond", "--dir", dir],
      ["auth", "add-operator", "a.b", "--dir", dir],
      ["auth", "add-collector", "c-9", "--dir", dir],
      ["auth", "add-collector", "c-9", "--type", "fsmond", "--caps", "PROCESS", "--dir", dir],
      ["auth", "remove", "nobody", "--dir", dir],
      ["auth", "ls", "--dir", join(dir, "missing")],
    ]) {
      const r = await runCli(args);
      expect(isOneLineError(r), `${args.join(" ")}: ${r.stderr}`).toBe(true);
    }
  });

  it("security - auth remove needs <role>-<name> when a name is used twice, then drops the identity", async () => {
    const ambiguous = await runCli(["auth", "remove", "x-1", "--dir", dir]);
    expect(isOneLineError(ambiguous)).toBe(true);
    expect(ambiguous.stderr).toContain("collector-x-1, publisher-x-1");
    const seed = join(dir, "nkeys", "publisher-x-1.nk");
    const before = readFileSync(join(dir, "server.conf"), "utf8");
    const publicKey = /# publisher x-1[^\n]*\n\s*\{\n\s*nkey: "(U[A-Z2-7]+)"/.exec(before)?.[1];
    expect(publicKey).toBeDefined();
    await cli("auth", "remove", "publisher-x-1", "--dir", dir);
    expect(existsSync(seed)).toBe(false);
    const after = readFileSync(join(dir, "server.conf"), "utf8");
    expect(after).not.toContain(publicKey!);
    expect(after).toContain("# collector x-1");
  });
});
