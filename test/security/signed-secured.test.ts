/**
 * Signed results on a secured mesh (levels 2 and 3 together): only the collector's identity may
 * write its advert, so the signing key there is the collector's. A collector signs with its own
 * nkey; a coordinator and a publisher verify, the publisher reading the collector's key by a
 * direct get of its advert (the one bucket read a publisher is granted) and nothing else.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Prefix, fromSeed } from "@nats-io/nkeys";
import { Codec } from "@nats-io/nkeys/lib/codec.js";
import { MeshClient } from "../../src/client/mesh-client.js";
import { inboxPrefixFor } from "../../src/cli/auth/permissions.js";
import { seedFile } from "../../src/cli/auth/manifest.js";
import { DEFAULT_PREFIX, SourceCaps, Subjects } from "../../subjects/index.js";
import { until } from "../support/nats-server.js";
import { IDS, tryPublish, trySubscribe } from "./support.js";
import { securedCollector, securedCoordinator, useSecuredMesh } from "./fixture.js";

const s = new Subjects(DEFAULT_PREFIX);
const bucket = s.bucket();
const mesh = useSecuredMesh();

describe("security - signed results on a secured mesh", () => {
  it("security - a collector signs with its nkey; coordinator and publisher verify under their own identities", async () => {
    const { login: coord, coordinator } = await securedCoordinator(mesh, { verify: true });

    const seed = readFileSync(seedFile(mesh.authDir, IDS.collectorA), "utf8").trim();
    const { login: col, collector } = await securedCollector(mesh, {
      sign: { nkeySeed: seed },
      handler: (payload) => ({ echo: payload }),
    });
    // The advert's key is the collector's nkey (the same ed25519 key, another encoding).
    const nkeyPublic = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
    const raw = Codec.decode(Prefix.User, new TextEncoder().encode(nkeyPublic));
    expect(collector.signingKey).toBe(`ed25519:${Buffer.from(raw).toString("base64url")}`);
    await until(
      () => coordinator.router.get(IDS.collectorA.name)?.advert.signingKey,
      5000,
      "the signing collector routable",
    );
    expect(coordinator.router.get(IDS.collectorA.name)?.advert.signingKey).toBe(
      collector.signingKey,
    );

    const pub = await mesh.login(IDS.publisher);
    const client = new MeshClient(pub.nc, {
      owner: IDS.publisher.name,
      inboxPrefix: inboxPrefixFor("publisher", IDS.publisher.name),
      verify: true,
    });
    mesh.cleanup(() => client.close());
    const vs = await Promise.all(
      [1, 2, 3].map((i) =>
        client.submit(
          { requiredCapabilities: SourceCaps.PROCESS, payload: i },
          { timeoutMs: 8000 },
        ),
      ),
    );
    expect(vs.map((v) => v.results[0]?.payload)).toEqual([{ echo: 1 }, { echo: 2 }, { echo: 3 }]);
    expect(client.verification()).toMatchObject({ verified: 3, unsigned: 0, badSignature: 0 });
    expect(coordinator.stats().coordinator.rejected).toMatchObject({
      unsigned: 0,
      "bad-signature": 0,
      "no-signing-key": 0,
    });
    for (const l of [pub, coord, col]) {
      await l.nc.flush();
      expect(l.violations.map((v) => v.message)).toEqual([]);
    }
  });

  it("security - reading adverts by key is all a publisher may do with the bucket", async () => {
    const pub = await mesh.login(IDS.publisher);
    const key = `$KV.${bucket}.${IDS.collectorA.name}`;
    expect(await tryPublish(mesh, pub, `$JS.API.DIRECT.GET.KV_${bucket}.${key}`)).toBe("delivered");
    for (const subject of [
      key,
      `$JS.API.DIRECT.GET.KV_${bucket}`,
      `$JS.API.STREAM.MSG.GET.KV_${bucket}`,
      `$JS.API.STREAM.INFO.KV_${bucket}`,
      `$JS.API.CONSUMER.CREATE.KV_${bucket}.x`,
    ]) {
      const l = await mesh.login(IDS.publisher);
      expect(await tryPublish(mesh, l, subject), subject).toBe("refused");
    }
    expect(await trySubscribe(mesh, pub, `$KV.${bucket}.>`)).toBe("refused");
  });
});
