/** `collector-mesh stats` on a fleet larger than one reply lists: the table says what it left out. */
import { describe, expect, it } from "vitest";
import { formatStats } from "../../src/cli/run/stats.js";

describe("cli - stats table", () => {
  it("cli - stats names how many instances the reply left out, and says nothing when none were", () => {
    const instance = { load: 1, capacity: 4, assigned: 1, failures: 0, ejections: 0 };
    const reply = (balancing: Record<string, unknown>) => ({
      coordinatorId: "c1",
      routing: { total: 10_000 },
      balancing: { strategy: "least-connections", instances: { busy: instance }, ...balancing },
      distribution: {},
      aggregation: {},
    });
    const cut = formatStats(reply({ instancesOmitted: 9_999 }));
    expect(cut).toMatch(/^busy\s+-\s+1\/4/m);
    expect(cut.split("\n").at(-1)).toBe(
      "(9999 more instances not listed: busy or troubled ones are listed first)",
    );
    expect(formatStats(reply({}))).not.toMatch(/not listed/);
  });
});
