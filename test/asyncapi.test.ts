import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderAsyncApi } from "../subjects/generate-asyncapi.js";
import { MessageSchemas } from "../subjects/index.js";

describe("asyncapi - the committed contract", () => {
  it("asyncapi - subjects/asyncapi.yaml is what the generator produces (run `npm run asyncapi`)", () => {
    const committed = readFileSync(new URL("../subjects/asyncapi.yaml", import.meta.url), "utf8");
    expect(committed).toBe(renderAsyncApi());
  });

  it("asyncapi - every message schema is documented and every $ref resolves", () => {
    const doc = parse(renderAsyncApi()) as Record<string, unknown>;
    expect(doc.asyncapi).toBe("3.0.0");
    const comps = (doc.components as { messages: Record<string, unknown> }).messages;
    expect(Object.keys(comps).sort()).toEqual(Object.keys(MessageSchemas).sort());
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v)) {
          if (k === "$ref" && typeof x === "string") refs.push(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      let node: unknown = doc;
      for (const part of ref.replace(/^#\//, "").split("/")) {
        node = (node as Record<string, unknown> | undefined)?.[part];
      }
      expect(node, ref).toBeDefined();
    }
  });
});
