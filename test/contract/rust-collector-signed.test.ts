/**
 * The Rust collector's signed results (`--sign`) against a real nats-server: its advert carries
 * a signing key in the contract's form, a verifying TypeScript coordinator routes to it and takes
 * its results, and a verifying submitter checks the stored records against that key.
 */
import { describe, expect, it } from "vitest";
import { MeshClient } from "../../src/client/mesh-client.js";
import { SourceCaps } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";

import { useRustMesh } from "./rust-fixture.js";

const mesh = useRustMesh();

describe("rust collector - signed results", () => {
  it("rust collector - with --sign its results pass a verifying coordinator and submitter; without, it is not routed to", async () => {
    const p = "rsign";
    const coord = await mesh.coordinator({ prefix: p, advertTtlMs: 1500, verify: true });
    await mesh.rust({ id: "rs-plain", prefix: p });
    await mesh.rust({ id: "rs-signed", prefix: p, sign: true });
    await until(() => coord.router.get("rs-signed"), 5000, "the signing collector routable");
    expect(coord.router.get("rs-signed")?.advert.signingKey).toMatch(/^ed25519:[\w-]{43}$/);
    await until(() => coord.invalidMessages() > 0, 5000, "the unsigned advert refused");
    expect(coord.router.get("rs-plain")).toBeUndefined();

    const client = new MeshClient(await mesh.connect("submitter"), {
      prefix: p,
      owner: "sec",
      verify: true,
    });
    mesh.cleanup(() => client.close());
    const vs = await Promise.all(
      Array.from({ length: 5 }, () =>
        client.submit({ requiredCapabilities: SourceCaps.PERFORMANCE }, { timeoutMs: 8000 }),
      ),
    );
    expect(vs.map((v) => [v.status, v.results[0]?.collectorId])).toEqual(
      vs.map(() => ["complete", "rs-signed"]),
    );
    expect(client.verification()).toMatchObject({ verified: 5, unsigned: 0, badSignature: 0 });
    expect(coord.stats().coordinator.rejected).toMatchObject({
      unsigned: 0,
      "bad-signature": 0,
    });
  });
});
