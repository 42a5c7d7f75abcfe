import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decode } from "../../src/codec.js";
import { InvalidMessageError } from "../../src/errors.js";
import { MessageSchemas, type MessageName } from "../../subjects/index.js";
import {
  VECTORS_DIR,
  buildVectors,
  listFiles,
  renderManifest,
  type Manifest,
} from "../../subjects/generate-vectors.js";
import { toJsonValue } from "./json.js";

const committed = JSON.parse(readFileSync(join(VECTORS_DIR, "manifest.json"), "utf8")) as Manifest;

describe("vectors - the committed golden vectors", () => {
  it("vectors - subjects/vectors/ is what the generator produces (run `npm run vectors`)", () => {
    const { files, manifest } = buildVectors();
    expect(readFileSync(join(VECTORS_DIR, "manifest.json"), "utf8")).toBe(renderManifest(manifest));
    expect(listFiles(VECTORS_DIR)).toEqual([...files.keys(), "manifest.json"].sort());
    for (const [file, bytes] of files) {
      const onDisk = readFileSync(join(VECTORS_DIR, file));
      expect(Buffer.compare(onDisk, Buffer.from(bytes)), file).toBe(0);
    }
  });

  it("vectors - every message type has valid and invalid vectors", () => {
    for (const name of Object.keys(MessageSchemas) as MessageName[]) {
      const mine = committed.vectors.filter((v) => v.message === name);
      expect(
        mine.some((v) => v.verdict === "valid"),
        `${name} valid`,
      ).toBe(true);
      expect(
        mine.some((v) => v.verdict === "invalid"),
        `${name} invalid`,
      ).toBe(true);
    }
  });

  it("vectors - src/codec.ts decodes every vector to the manifest's verdict, value and path", () => {
    let checkedJson = 0;
    for (const v of committed.vectors) {
      const bytes = new Uint8Array(readFileSync(join(VECTORS_DIR, v.file)));
      const schema = MessageSchemas[v.message];
      if (v.verdict === "valid") {
        const value: unknown = decode(schema, bytes);
        if (v.json !== undefined) {
          expect(toJsonValue(value), v.file).toEqual(v.json);
          checkedJson++;
        }
      } else {
        let err: unknown;
        try {
          decode(schema, bytes);
        } catch (e) {
          err = e;
        }
        expect(err, v.file).toBeInstanceOf(InvalidMessageError);
        expect((err as InvalidMessageError).paths[0], v.file).toBe(v.path);
      }
    }
    expect(checkedJson).toBeGreaterThan(40);
  });
});
