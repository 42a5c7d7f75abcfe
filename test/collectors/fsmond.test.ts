import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, onTestFinished, test } from "vitest";
import { ErrorCode, InvalidArgumentError } from "../../src/errors.js";
import {
  defaultFsRoots,
  fsmond,
  FsmondResult,
  parseCollectorOptions,
  PathNotAllowedError,
  type PathInfo,
} from "../../src/collectors/index.js";
import { expectInvalidPayloads, noSignal, rejection } from "./fake-proc.js";

/** A fresh directory under the temp dir, the only root of `run`. */
let root: string;
let run: ReturnType<typeof fsmond.createHandler>;

beforeEach(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), "cmesh-fsmond-")));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  run = fsmond.createHandler({ roots: [root] });
});

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function only(result: FsmondResult): PathInfo {
  expect(result.items).toHaveLength(1);
  return result.items[0] as PathInfo;
}

async function expectRefused(handler: typeof run, paths: string[], refused: string): Promise<void> {
  const err = await rejection(() => handler({ paths }, noSignal()));
  expect(err, refused).toBeInstanceOf(PathNotAllowedError);
  expect((err as PathNotAllowedError).code).toBe(ErrorCode.PathNotAllowed);
  expect((err as PathNotAllowedError).path).toBe(refused);
  expect((err as PathNotAllowedError).message).toContain("outside the allowed roots");
}

describe("fsmond", () => {
  test("fsmond - stats and hashes a file it is given", async () => {
    const file = path.join(root, "report.log");
    const content = "collector-mesh\n".repeat(10_000);
    await writeFile(file, content);
    await chmod(file, 0o640);
    const st = await stat(file);
    const result = await run({ paths: [file] }, noSignal());
    expect(only(result)).toEqual({
      path: file,
      realPath: file,
      type: "file",
      size: Buffer.byteLength(content),
      mode: 0o640,
      uid: st.uid,
      gid: st.gid,
      mtimeMs: st.mtimeMs,
      sha256: sha256(content),
    });
    expect(result.roots).toEqual([root]);
    expect(FsmondResult.parse(result)).toEqual(result);
  });

  test("fsmond - hashes an empty file, and skips hashing with hash: false", async () => {
    const file = path.join(root, "empty");
    await writeFile(file, "");
    expect(only(await run({ paths: [file] }, noSignal())).sha256).toBe(sha256(""));
    const plain = only(await run({ paths: [file], hash: false }, noSignal()));
    expect(plain.sha256).toBeUndefined();
    expect(plain.type).toBe("file");
  });

  test("fsmond - does not hash a file over the hashing limit, and says why", async () => {
    const file = path.join(root, "big.bin");
    await writeFile(file, Buffer.alloc(4096, 1));
    const item = only(await run({ paths: [file], maxHashBytes: 4095 }, noSignal()));
    expect(item.sha256).toBeUndefined();
    expect(item.hashError).toBe("larger than the hashing limit of 4095 bytes");
    expect(item.size).toBe(4096);
    // The collector's own limit caps what a payload may ask for.
    const capped = fsmond.createHandler({ roots: [root], maxHashBytes: 100 });
    const item2 = only(await capped({ paths: [file], maxHashBytes: 1_000_000 }, noSignal()));
    expect(item2.hashError).toBe("larger than the hashing limit of 100 bytes");
    // At the limit exactly, it hashes.
    const exact = only(await run({ paths: [file], maxHashBytes: 4096 }, noSignal()));
    expect(exact.sha256).toBe(sha256(Buffer.alloc(4096, 1)));
  });

  test("fsmond - lists a directory breadth first, sorted, bounded by depth and maxEntries", async () => {
    const dir = path.join(root, "logs");
    await mkdir(path.join(dir, "sub", "deeper"), { recursive: true });
    for (const n of ["c.log", "a.log", "b.log"]) await writeFile(path.join(dir, n), n);
    await writeFile(path.join(dir, "sub", "x.log"), "x");
    await writeFile(path.join(dir, "sub", "deeper", "y.log"), "y");

    const top = only(await run({ paths: [dir] }, noSignal()));
    expect(top.type).toBe("directory");
    expect(top.entries?.map((e) => [e.name, e.type, e.depth])).toEqual([
      ["a.log", "file", 1],
      ["b.log", "file", 1],
      ["c.log", "file", 1],
      ["sub", "directory", 1],
    ]);
    expect(top.entries?.[0]).toMatchObject({ path: path.join(dir, "a.log"), size: 5 });
    expect(top.entriesTruncated).toBe(false);

    const deep = only(await run({ paths: [dir], depth: 3 }, noSignal()));
    expect(deep.entries?.map((e) => e.name)).toEqual([
      "a.log",
      "b.log",
      "c.log",
      "sub",
      "sub/deeper",
      "sub/x.log",
      "sub/deeper/y.log",
    ]);

    const few = only(await run({ paths: [dir], depth: 3, maxEntries: 3 }, noSignal()));
    expect(few.entries).toHaveLength(3);
    expect(few.entriesTruncated).toBe(true);

    const unlisted = only(await run({ paths: [dir], list: false }, noSignal()));
    expect(unlisted.entries).toBeUndefined();
  });

  test("fsmond - a listing stays small for a directory of thousands of files", async () => {
    const dir = path.join(root, "many");
    await mkdir(dir);
    await Promise.all(
      Array.from({ length: 1200 }, (_, i) => writeFile(path.join(dir, `f${i}`), "")),
    );
    const item = only(await run({ paths: [dir], maxEntries: 50 }, noSignal()));
    expect(item.entries).toHaveLength(50);
    expect(item.entriesTruncated).toBe(true);
    const budget = fsmond.createHandler({ roots: [root], maxResultBytes: 4096 });
    const whole = await budget({ paths: [dir] }, noSignal());
    const cut = only(whole);
    expect(cut.entriesTruncated).toBe(true);
    expect(cut.entries?.length).toBeGreaterThan(0);
    expect(Buffer.byteLength(JSON.stringify(whole))).toBeLessThanOrEqual(4096);
  });

  test("fsmond - listing shows symlinks without following them", async () => {
    const dir = path.join(root, "d");
    await mkdir(dir);
    await symlink("/etc", path.join(dir, "etc-link"));
    const item = only(await run({ paths: [dir], depth: 4 }, noSignal()));
    expect(item.entries?.map((e) => [e.name, e.type])).toEqual([["etc-link", "symlink"]]);
  });

  test("fsmond - follows a symlink that stays inside its roots", async () => {
    const file = path.join(root, "target.txt");
    await writeFile(file, "inside");
    await symlink(file, path.join(root, "link.txt"));
    const item = only(await run({ paths: [path.join(root, "link.txt")] }, noSignal()));
    expect(item.path).toBe(path.join(root, "link.txt"));
    expect(item.realPath).toBe(file);
    expect(item.sha256).toBe(sha256("inside"));
  });

  test("fsmond - a missing path inside its roots is reported, not thrown", async () => {
    const missing = path.join(root, "nope", "missing.log");
    const result = await run({ paths: [missing, root] }, noSignal());
    expect(result.items[0]).toEqual({ path: missing, realPath: missing, error: "no such file" });
    expect(result.items[1]?.type).toBe("directory");
  });

  test("fsmond - refuses /etc/shadow outside its default roots", async () => {
    await expectRefused(fsmond.createHandler(), ["/etc/shadow"], "/etc/shadow");
  });

  test("fsmond - refuses a '..' escape from a root", async () => {
    await expectRefused(run, [`${root}/../../etc/shadow`], `${root}/../../etc/shadow`);
    await expectRefused(run, [`${root}/..`], `${root}/..`);
    // Also when the part before '..' does not exist.
    await expectRefused(
      run,
      [`${root}/missing/../../../etc/passwd`],
      `${root}/missing/../../../etc/passwd`,
    );
    // A sibling whose name starts like the root is not inside it.
    await expectRefused(run, [`${root}-other/x`], `${root}-other/x`);
  });

  test("fsmond - refuses a symlink out of its roots", async () => {
    await symlink("/etc", path.join(root, "etc"));
    await symlink("/etc/passwd", path.join(root, "passwd"));
    await expectRefused(run, [path.join(root, "etc", "passwd")], path.join(root, "etc", "passwd"));
    await expectRefused(run, [path.join(root, "passwd")], path.join(root, "passwd"));
    await expectRefused(run, [path.join(root, "etc")], path.join(root, "etc"));
    // A path that does not exist behind the link is refused too, not reported missing.
    await expectRefused(
      run,
      [path.join(root, "etc", "no-such")],
      path.join(root, "etc", "no-such"),
    );
    // `..` after a symlink is resolved physically: root/etc/.. is /, not root.
    await expectRefused(
      run,
      [path.join(root, "etc") + "/../tmp"],
      path.join(root, "etc") + "/../tmp",
    );
  });

  test("fsmond - one refused path refuses the whole task", async () => {
    const ok = path.join(root, "ok.txt");
    await writeFile(ok, "ok");
    await expectRefused(run, [ok, "/etc/passwd"], "/etc/passwd");
  });

  test("fsmond - default roots are the temp dir and /var/log, never /etc", () => {
    expect(defaultFsRoots()).toEqual([os.tmpdir(), "/var/log"]);
    expect(parseCollectorOptions().roots).not.toContain("/etc");
  });

  test("fsmond - bad payloads fail with INVALID_ARGUMENT naming the field", async () => {
    const cases: [unknown, string][] = [
      [undefined, "payload.paths"],
      [{ paths: [] }, "payload.paths"],
      [{ paths: ["relative/x"] }, "payload.paths.0"],
      [{ paths: ["/tmp/a\0b"] }, "payload.paths.0"],
      [{ paths: [root], depth: 0 }, "payload.depth"],
      [{ paths: [root], depth: 99 }, "payload.depth"],
      [{ paths: [root], maxEntries: 0 }, "payload.maxEntries"],
      [{ paths: [root], hash: "yes" }, "payload.hash"],
      [{ path: root }, "payload.paths"],
    ];
    await expectInvalidPayloads(run, cases);
  });

  test("fsmond - invalid roots are refused when the handler is created", () => {
    for (const roots of [[], ["relative"], ["/ok", ""]]) {
      expect(() => fsmond.createHandler({ roots }), JSON.stringify(roots)).toThrow(
        InvalidArgumentError,
      );
    }
  });
});
