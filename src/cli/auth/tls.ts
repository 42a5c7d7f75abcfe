import { webcrypto } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { TLS_DIR, ensureDir, writeAtomic } from "./manifest.js";

/**
 * A test PKI for `auth init --tls`: a CA, a server certificate and one client certificate per
 * identity, ECDSA P-256, made with @peculiar/x509 on Node's WebCrypto (no openssl binary needed,
 * same result on every platform). Keys are PKCS#8 PEM, written 0600.
 */

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;
const VALID_DAYS = 825;

type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
type KeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

export interface TlsFiles {
  ca: string;
  caKey: string;
  cert: string;
  key: string;
}

export const tlsPaths = (dir: string, stem: string) => ({
  cert: join(dir, TLS_DIR, `${stem}-cert.pem`),
  key: join(dir, TLS_DIR, `${stem}-key.pem`),
});
export const caPaths = (dir: string) => ({
  ca: join(dir, TLS_DIR, "ca.pem"),
  caKey: join(dir, TLS_DIR, "ca-key.pem"),
});

async function pemKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString("hex")
    .replace(/^[89a-f]/, "1");
}

async function keyPair(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
}

/** Writes tls/ca.pem and tls/ca-key.pem unless they exist. */
export async function ensureCa(dir: string): Promise<void> {
  const p = caPaths(dir);
  if (existsSync(p.ca) && existsSync(p.caKey)) return;
  ensureDir(join(dir, TLS_DIR), 0o700);
  const keys = await keyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=collector-mesh test CA",
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + VALID_DAYS * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writeAtomic(p.caKey, await pemKey(keys.privateKey), 0o600);
  writeAtomic(p.ca, cert.toString("pem"));
}

/**
 * Issues `<stem>-cert.pem` / `<stem>-key.pem` signed by the CA: a server certificate for `hosts`
 * (DNS names and IPs) or a client certificate whose CN is `stem`.
 */
export async function issueCertificate(
  dir: string,
  stem: string,
  kind: { server: readonly string[] } | "client",
): Promise<{ cert: string; key: string }> {
  const p = caPaths(dir);
  const caCert = new x509.X509Certificate(readFileSync(p.ca, "utf8"));
  const caKey = await webcrypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(readFileSync(p.caKey, "utf8")),
    ALG,
    false,
    ["sign"],
  );
  const keys = await keyPair();
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (kind === "client") {
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]));
  } else {
    extensions.push(
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        kind.server.map((h) => (isIP(h) ? { type: "ip", value: h } : { type: "dns", value: h })),
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${stem}`,
    issuer: caCert.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + VALID_DAYS * DAY),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions,
  });
  const out = tlsPaths(dir, stem);
  writeAtomic(out.key, await pemKey(keys.privateKey), 0o600);
  writeAtomic(out.cert, cert.toString("pem"));
  return out;
}
