/**
 * A throw-away PKI for TLS tests, made at test time so that no key material lives in the repo and
 * no openssl CLI is needed: a CA, a server certificate and a client certificate it signs, and an
 * unrelated "wrong" CA. ECDSA P-256 keys keep generation to a few milliseconds.
 */
// tsyringe, which @peculiar/x509 loads, refuses to start without a Reflect metadata polyfill.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface TestKeyPair {
  cert: string;
  key: string;
}

/** What `makeTestPki()` returns; every string is PEM. */
export interface TestPki {
  /** The CA certificate that signed `server` and `client`. */
  ca: string;
  /** The CA's private key, for a test that needs to sign something more. */
  caKey: string;
  /** Server certificate: CN=localhost, SAN IP 127.0.0.1 and ::1, DNS localhost; serverAuth. */
  server: TestKeyPair;
  /** Client certificate: CN=vsoa-test-client; clientAuth. */
  client: TestKeyPair;
  /** A CA certificate that signed nothing here: trusting only it must fail the handshake. */
  wrongCa: string;
  /** A temporary file holding `ca`, for child processes (e.g. NODE_EXTRA_CA_CERTS). */
  caFile: string;
}

/** Subject common names, exported so tests can compare what the peer certificate says. */
export const TEST_CN = {
  ca: 'VSOA Test CA',
  wrongCa: 'VSOA Unrelated CA',
  server: 'localhost',
  client: 'vsoa-test-client',
} as const;

const EC_KEY: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const HOUR = 3_600_000;

// Node's WebCrypto implements what the generator needs; set it explicitly rather than rely on a
// global `crypto`, which Jest's sandbox may not expose. (Typed as the library's parameter: where the
// DOM lib is loaded, its `Crypto` type and Node's differ in detail.)
x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
}

/** A random positive serial (the top bit clear, so DER does not read it as negative). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString('hex');
}

/** Valid from an hour ago (tolerates clock skew) for a day: long enough for any test run. */
function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR) };
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

interface Authority {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

async function makeCa(cn: string): Promise<Authority> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${cn}`,
    ...validity(),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function issue(ca: Authority, cn: string, usage: x509.ExtendedKeyUsage, sans: x509.JsonGeneralNames = []): Promise<TestKeyPair> {
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn}`,
    issuer: ca.cert.subject,
    ...validity(),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

/** Directories holding a `caFile`, removed by `disposeTestPki()`. */
const tempDirs: string[] = [];

async function generate(): Promise<TestPki> {
  const [ca, wrongCa] = await Promise.all([makeCa(TEST_CN.ca), makeCa(TEST_CN.wrongCa)]);
  const [server, client] = await Promise.all([
    issue(ca, TEST_CN.server, x509.ExtendedKeyUsage.serverAuth, [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
      { type: 'dns', value: 'localhost' },
    ]),
    issue(ca, TEST_CN.client, x509.ExtendedKeyUsage.clientAuth),
  ]);
  const caPem = ca.cert.toString('pem');
  const dir = mkdtempSync(join(tmpdir(), 'vsoa-test-pki-'));
  tempDirs.push(dir);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, caPem);
  return {
    ca: caPem,
    caKey: await privateKeyPem(ca.keys.privateKey),
    server,
    client,
    wrongCa: wrongCa.cert.toString('pem'),
    caFile,
  };
}

let pki: Promise<TestPki> | null = null;

/**
 * The test PKI, generated on first use and shared by every later call in this process (under
 * Jest: in this test file, as each file has its own module registry).
 */
export function makeTestPki(): Promise<TestPki> {
  // A failed attempt is not kept: the next call tries again.
  pki ??= generate().catch((error: unknown) => {
    pki = null;
    throw error;
  });
  return pki;
}

/**
 * Removes the temporary `caFile` (only a public certificate, but no litter); the next
 * `makeTestPki()` makes a new PKI. Call it from `afterAll`: under Jest a process 'exit' hook
 * registered here would not run, as the sandbox has its own `process` emitter.
 */
export function disposeTestPki(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  pki = null;
}
