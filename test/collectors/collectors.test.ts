import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { SourceCaps, formatCaps, hasCaps, domainOf } from "../../subjects/caps.js";
import { MAX_MESSAGE_BYTES } from "../../subjects/schemas.js";
import { decode, encodeRaw } from "../../src/codec.js";
import { ErrorCode, MeshError } from "../../src/errors.js";
import { COLLECTOR_TYPES, referenceCollectors } from "../../src/collectors/index.js";
import { fakeProc, noSignal, rejection } from "./fake-proc.js";

describe("collectors", () => {
  test("collectors - the registry holds procmond, netmond and fsmond with their capabilities", () => {
    expect(Object.keys(referenceCollectors).sort()).toEqual([...COLLECTOR_TYPES].sort());
    const caps = Object.fromEntries(
      COLLECTOR_TYPES.map((t) => [t, formatCaps(referenceCollectors[t].capabilities)]),
    );
    expect(caps).toEqual({
      procmond: "PROCESS|REALTIME",
      netmond: "NETWORK",
      fsmond: "FILESYSTEM",
    });
    // Each serves the domain its tasks are routed to.
    expect(domainOf(referenceCollectors.procmond.capabilities)).toBe("process");
    expect(domainOf(referenceCollectors.netmond.capabilities)).toBe("network");
    expect(domainOf(referenceCollectors.fsmond.capabilities)).toBe("filesystem");
    expect(hasCaps(referenceCollectors.procmond.capabilities, SourceCaps.PROCESS)).toBe(true);
    for (const t of COLLECTOR_TYPES) {
      const c = referenceCollectors[t];
      expect(c.type).toBe(t);
      expect(c.defaultMaxConcurrency).toBeGreaterThanOrEqual(1);
      expect(c.description.length).toBeGreaterThan(10);
    }
  });

  test("collectors - every result crosses the wire: MessagePack, under the size limit, valid on receipt", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "cmesh-wire-"));
    try {
      await writeFile(path.join(dir, "f.txt"), "data");
      const payloads = {
        procmond: { hashExecutable: true },
        netmond: {},
        fsmond: { paths: [dir, path.join(dir, "f.txt")] },
      };
      for (const t of COLLECTOR_TYPES) {
        const c = referenceCollectors[t];
        const result = await c.createHandler({ roots: [dir] })(payloads[t], noSignal());
        const bytes = encodeRaw(result);
        expect(bytes.length, t).toBeLessThan(MAX_MESSAGE_BYTES);
        expect(decode(c.resultSchema, bytes), t).toEqual(result);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("collectors - on a host without /proc, procmond and netmond fail their tasks with UNSUPPORTED_PLATFORM", async () => {
    const tree = await fakeProc({ self: false });
    for (const t of ["procmond", "netmond"] as const) {
      const handler = referenceCollectors[t].createHandler({ procRoot: tree.root });
      const err = await rejection(() => handler({}, noSignal()));
      expect(err, t).toBeInstanceOf(MeshError);
      expect((err as MeshError).code, t).toBe(ErrorCode.UnsupportedPlatform);
      expect((err as MeshError).message, t).toContain(`${t} needs a Linux proc filesystem`);
    }
    // A bad payload is still reported as such first.
    const err = await rejection(() =>
      referenceCollectors.procmond.createHandler({ procRoot: tree.root })(
        { limit: -1 },
        noSignal(),
      ),
    );
    expect((err as MeshError).code).toBe(ErrorCode.InvalidArgument);
  });

  test("collectors - a relative procRoot is refused when the handler is created", () => {
    expect(() => referenceCollectors.procmond.createHandler({ procRoot: "proc" })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidArgument }) as Error,
    );
  });
});
