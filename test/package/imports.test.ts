/**
 * What importing the library loads: none of the command's heavy dependencies (pino-pretty, the
 * OpenTelemetry SDK and exporter, prom-client). A resolve hook in a plain Node process records
 * every module the import resolves.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "mesh-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOOKS = `
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  process.stderr.write("RESOLVED " + r.url + "\\n");
  return r;
}`;
const REGISTER = `
import { register } from "node:module";
register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`;

/** The module URLs a plain `node` resolves when it imports `entry` (a file under the repo). */
function resolvedBy(entry: string): string[] {
  writeFileSync(join(dir, "hooks.mjs"), HOOKS);
  writeFileSync(join(dir, "register.mjs"), REGISTER);
  const url = pathToFileURL(join(ROOT, entry)).href;
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      pathToFileURL(join(dir, "register.mjs")).href,
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(url)}); console.log(Object.keys(m).length);`,
    ],
    { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("RESOLVED "))
    .map((l) => l.slice(9));
}

const HEAVY = [
  "pino-pretty",
  "@opentelemetry/sdk-trace",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/resources",
  "@opentelemetry/context-async-hooks",
  "prom-client",
];

describe("package - what the library loads", () => {
  it("package - importing collector-mesh loads none of pino-pretty, the OTel SDK or prom-client", () => {
    const urls = resolvedBy("src/index.ts");
    // The check sees the library's real imports: the NATS client and the OTel API are there.
    expect(urls.some((u) => u.includes("/@nats-io/nats-core/"))).toBe(true);
    expect(urls.some((u) => u.includes("/@opentelemetry/api/"))).toBe(true);
    for (const name of HEAVY) {
      expect(
        urls.filter((u) => u.includes(`/node_modules/${name}/`)),
        name,
      ).toEqual([]);
    }
  });

  it("package - the command's modules are what load them (the check can see them)", () => {
    const urls = resolvedBy("src/cli/prometheus.ts");
    expect(urls.some((u) => u.includes("/node_modules/prom-client/"))).toBe(true);
  });

  it("package - the root export is the library: no test launcher, no names that shadow globals", async () => {
    const lib = (await import("../../src/index.js")) as Record<string, unknown>;
    for (const name of [
      "NatsServer",
      "Headers",
      "QueuedIterator",
      "ResultInbox",
      "TaskPublisher",
    ]) {
      expect(lib[name], name).toBeUndefined();
    }
    for (const name of [
      "Coordinator",
      "Collector",
      "Subjects",
      "MeshError",
      "procmond",
      "MeshHeaders",
    ]) {
      expect(lib[name], name).toBeDefined();
    }
    const internal = (await import("../../src/internal.js")) as Record<string, unknown>;
    expect(internal.NatsServer).toBeDefined();
  });
});
