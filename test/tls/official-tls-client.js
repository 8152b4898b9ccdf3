'use strict';
/**
 * Child process of test/tls/tls.e2e-spec.ts: the official `vsoa` client over TLS, one RPC.
 *
 * It runs in a process of its own because the official client hands tls.connect() only `key` and
 * `cert` (no `ca`, no `rejectUnauthorized`): the only way to make it trust the test CA is
 * NODE_EXTRA_CA_CERTS, which Node reads once, at start-up.
 *
 * Usage: node official-tls-client.js <port> <url> <param JSON> <data hex>
 * Env:   VSOA_TEST_CERT / VSOA_TEST_KEY (PEM, optional): a client certificate to present.
 * Prints one JSON line on stdout and exits 0 when the call got a reply, 1 when it failed.
 */
const vsoa = require('vsoa');

const [port, url, paramJson, dataHex] = process.argv.slice(2);
const TIMEOUT_MS = 5000;

let done = false;
function finish(result, code) {
  if (done) return;
  done = true;
  clearTimeout(guard);
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(code));
}

// Whatever the official client does or fails to do, this process ends on its own.
const guard = setTimeout(() => finish({ stage: 'guard', error: 'no result in time' }, 1), 2 * TIMEOUT_MS);

// A truthy tlsOpt is what selects TLS in the official client, even with no key/cert in it.
const tlsOpt = process.env.VSOA_TEST_CERT ? { cert: process.env.VSOA_TEST_CERT, key: process.env.VSOA_TEST_KEY } : {};

const client = new vsoa.Client();
// A failed connect is reported to the callback too; without a listener 'error' would throw.
client.on('error', () => undefined);
client.connect(
  `vsoa://127.0.0.1:${port}`,
  (error, info) => {
    if (error) return finish({ stage: 'connect', error: error.message, code: error.code }, 1);
    const payload = { param: JSON.parse(paramJson), data: Buffer.from(dataHex, 'hex') };
    client.call(
      url,
      { method: vsoa.method.SET },
      payload,
      (callError, reply) => {
        client.close();
        if (callError) return finish({ stage: 'call', error: callError.message, status: callError.status }, 1);
        finish({ info, param: reply && reply.param, data: reply && reply.data ? Buffer.from(reply.data).toString('hex') : null }, 0);
      },
      TIMEOUT_MS,
    );
  },
  tlsOpt,
  TIMEOUT_MS,
);
