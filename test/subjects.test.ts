import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  Subjects,
  SourceCaps,
  parseCaps,
  formatCaps,
  hasCaps,
  domainOf,
  domainsOf,
  parsePriority,
  priorityName,
  TaskPriority,
  DOMAINS,
  PRIORITY_NAMES,
  API_VERBS,
} from "../subjects/index.js";
import { InvalidArgumentError, InvalidSubjectTokenError } from "../src/errors.js";

const s = new Subjects("acme");
const token = fc.stringMatching(/^[A-Za-z0-9_:-]{1,40}$/);

describe("subjects - builders round-trip with the parser", () => {
  it("subjects - every kind round-trips", () => {
    fc.assert(
      fc.property(
        token,
        token,
        token,
        fc.constantFrom(...DOMAINS),
        fc.constantFrom(...PRIORITY_NAMES),
        (a, b, c, d, p) => {
          expect(s.parse(s.task(d, p))).toEqual({ kind: "task", domain: d, priority: p });
          expect(s.parse(s.collectorTask(a))).toEqual({ kind: "collectorTask", collectorId: a });
          expect(s.parse(s.result(b, c))).toEqual({
            kind: "result",
            coordinatorId: b,
            taskId: c,
            attempt: undefined,
          });
          expect(s.parse(s.result(b, c, 7))).toEqual({
            kind: "result",
            coordinatorId: b,
            taskId: c,
            attempt: 7,
          });
          expect(s.parse(s.collectorEvent(a))).toEqual({ kind: "collectorEvent", collectorId: a });
        },
      ),
    );
    for (const v of API_VERBS) expect(s.parse(s.api(v))).toEqual({ kind: "api", verb: v });
    expect(s.parse(s.failoverEvent())).toEqual({ kind: "failoverEvent" });
  });

  it("subjects - names match the contract", () => {
    const d = new Subjects();
    expect(d.task("process", "critical")).toBe("daemoneye.task.process.critical");
    expect(d.collectorTask("procmond-1")).toBe("daemoneye.collector.procmond-1.task");
    expect(d.result("c1", "t1")).toBe("daemoneye.result.c1.t1");
    expect(d.resultInbox("c1")).toBe("daemoneye.result.c1.>");
    expect(d.queueGroup("network")).toBe("daemoneye.network");
    expect(d.taskWildcard("network")).toBe("daemoneye.task.network.*");
    expect(d.api("submit")).toBe("daemoneye.api.submit");
    expect(d.collectorEvent("x")).toBe("daemoneye.event.collector.x");
    expect(d.failoverEvent()).toBe("daemoneye.event.failover");
    expect(d.bucket()).toBe("daemoneye_collectors");
  });

  it("subjects - bad tokens are rejected with a typed error", () => {
    for (const bad of ["", "a.b", "a*", ">", "a b", "tab\t", "x".repeat(257)]) {
      expect(() => s.collectorTask(bad)).toThrow(InvalidSubjectTokenError);
      expect(() => s.result("c", bad)).toThrow(InvalidSubjectTokenError);
      expect(() => s.collectorEvent(bad)).toThrow(InvalidSubjectTokenError);
    }
    expect(() => new Subjects("a.b")).toThrow(InvalidSubjectTokenError);
    expect(() => s.task("bogus" as never, "low")).toThrow(InvalidSubjectTokenError);
    expect(() => s.result("c", "t", -1)).toThrow(InvalidSubjectTokenError);
  });

  it("subjects - foreign and malformed subjects do not parse", () => {
    for (const x of [
      "other.task.process.low",
      "acme.task.process",
      "acme.task.bogus.low",
      "acme.collector.x.y",
      "acme.api.nope",
      "acme.result.c.t.x",
      "acme",
    ]) {
      expect(s.parse(x)).toBeUndefined();
    }
  });
});

describe("caps - SourceCaps and priorities", () => {
  it("caps - parse and format round-trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7f }), (caps) => {
        expect(parseCaps(formatCaps(caps))).toBe(caps);
      }),
    );
    expect(parseCaps("PROCESS|REALTIME")).toBe(0x11);
    expect(parseCaps("process, network")).toBe(0x03);
    expect(parseCaps("0x05")).toBe(0x05);
    expect(formatCaps(SourceCaps.NETWORK | SourceCaps.KERNEL_LEVEL)).toBe("NETWORK|KERNEL_LEVEL");
    expect(() => parseCaps("PROCESS|TELEPATHY")).toThrow(InvalidArgumentError);
    expect(() => parseCaps(0x80)).toThrow(InvalidArgumentError);
  });

  it("caps - superset test and domain", () => {
    expect(hasCaps(0x11, 0x01)).toBe(true);
    expect(hasCaps(0x01, 0x11)).toBe(false);
    expect(domainOf(SourceCaps.REALTIME | SourceCaps.NETWORK | SourceCaps.FILESYSTEM)).toBe(
      "network",
    );
    expect(domainOf(SourceCaps.PERFORMANCE)).toBe("performance");
    expect(domainOf(SourceCaps.KERNEL_LEVEL)).toBe("generic");
    expect(domainsOf(SourceCaps.PROCESS | SourceCaps.FILESYSTEM)).toEqual([
      "process",
      "filesystem",
      "generic",
    ]);
  });

  it("caps - priority names", () => {
    expect(parsePriority("HIGH")).toBe(TaskPriority.High);
    expect(parsePriority(3)).toBe(TaskPriority.Critical);
    expect(priorityName(TaskPriority.Low)).toBe("low");
    expect(() => parsePriority("urgent")).toThrow(InvalidArgumentError);
    expect(() => parsePriority(4)).toThrow(InvalidArgumentError);
  });
});

describe("subjects - a standalone contract package", () => {
  it("subjects - no file in subjects/ imports from src/ (the contract stands alone)", () => {
    const dir = fileURLToPath(new URL("../subjects/", import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.filter((f) =>
      /from\s+["'][^"']*\.\.\/src\//.test(readFileSync(join(dir, f), "utf8")),
    );
    expect(offenders).toEqual([]);
  });

  it("subjects - the package's errors are the library's errors", async () => {
    const lib = await import("../src/errors.js");
    const contract = await import("../subjects/index.js");
    expect(lib.MeshError).toBe(contract.MeshError);
    expect(lib.InvalidSubjectTokenError).toBe(contract.InvalidSubjectTokenError);
    expect(() => new contract.Subjects("acme").collectorTask("a.b")).toThrow(lib.MeshError);
  });
});
