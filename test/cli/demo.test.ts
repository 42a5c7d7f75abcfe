import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { natsServerVersion } from "../../src/server/nats-server.js";
import { cli, cliEnv } from "./cli.js";

/** The demo end to end: embedded nats-server, five processes, 500 tasks, a SIGKILL. */

describe("cli demo", () => {
  it(
    "cli - demo --tasks 500 completes every task through a failover",
    { timeout: 120_000 },
    async () => {
      // NATS_URL must not be used by the demo: only an explicit --nats-url is.
      const r = await cli(["demo", "--tasks", "500"], {
        env: cliEnv({ NATS_URL: "nats://127.0.0.1:1" }),
        timeoutMs: 110_000,
      });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      // The server is NATS_SERVER_BIN's (the suite's), and the demo says which version it runs.
      const version = natsServerVersion() ?? "none";
      expect(r.stdout).toMatch(
        new RegExp(
          `embedded nats-server ${version.replaceAll(".", "\\.")} on nats://127\\.0\\.0\\.1:\\d+`,
        ),
      );
      expect(r.stdout).toMatch(/SIGKILL procmond-1 after 250 of 500 tasks/);
      expect(r.stdout).toMatch(/^\s+tasks\s+500$/m);
      expect(r.stdout).toMatch(/^\s+completed\s+500$/m);
      expect(r.stdout).toMatch(/^\s+tasks lost\s+0$/m);
      const failovers = Number(/^\s+failovers\s+(\d+)/m.exec(r.stdout)?.[1]);
      expect(failovers).toBeGreaterThanOrEqual(1);
      expect(r.stdout).toMatch(/^\s+latency p50\s+\d/m);
      expect(r.stdout).toMatch(/^\s+latency p99\s+\d/m);
      // Every collector did some of the work, procmond-2 took over after the kill.
      for (const id of ["procmond-1", "procmond-2", "netmond-1", "fsmond-1"]) {
        const n = Number(new RegExp(`^\\s+${id}\\s+\\w+\\s+(\\d+)`, "m").exec(r.stdout)?.[1]);
        expect(n, id).toBeGreaterThan(0);
      }
      // Nothing left behind.
      const dir = /logs in (\S+)\/logs/.exec(r.stdout)?.[1];
      expect(dir).toBeDefined();
      expect(existsSync(dir!)).toBe(false);
    },
  );
});
