/**
 * The client over TLS: connect failures told apart from TLS handshake failures, and quick (clear
 * text) datagrams refused on a TLS link. Real sockets on 127.0.0.1, a throw-away PKI.
 */
import { VsoaServer } from '../server/server';
import { VsoaClient } from './client';
import { disposeTestPki, makeTestPki, TEST_CN, TestPki } from '../../../../test/helpers/certs';
import { nextEvent } from '../../../../test/helpers/events';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';

const teardowns = teardownsAfterEach();
let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(() => disposeTestPki());

function newClient(options?: ConstructorParameters<typeof VsoaClient>[0]): VsoaClient {
  const client = new VsoaClient(options);
  teardowns.push(() => client.close());
  return client;
}

async function tlsServer(): Promise<{ server: VsoaServer; port: number }> {
  const server = new VsoaServer({ info: 'tls' });
  teardowns.push(() => server.close());
  await server.listen({ host: '127.0.0.1', port: 0, tls: { key: pki.server.key, cert: pki.server.cert } });
  return { server, port: server.address()!.port };
}

describe('VsoaClient over TLS', () => {
  it('reports a refused TLS connection as CONNECT_ERROR, not as a TLS failure', async () => {
    const { server, port } = await tlsServer();
    await server.close();
    await expect(newClient().connect(`vsoa://127.0.0.1:${port}`, { tls: { ca: pki.ca } })).rejects.toMatchObject({
      code: 'CONNECT_ERROR',
      cause: { code: 'ECONNREFUSED' },
    });
  });

  it('reports a certificate it does not trust as SSL_HS_FAILED, naming the server', async () => {
    const { port } = await tlsServer();
    const error = await newClient()
      .connect(`vsoa://127.0.0.1:${port}`, { tls: { ca: pki.wrongCa } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'VsoaConnectError', code: 'SSL_HS_FAILED', errno: 7 });
    expect((error as Error).message).toMatch(new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: `));
  });

  it('refuses a quick datagram on a TLS link, saying why, unless allowed', async () => {
    const { server, port } = await tlsServer();
    const client = newClient();
    await client.connect(`vsoa://127.0.0.1:${port}`, { tls: { ca: pki.ca } });
    expect(client.peerCertificate()?.subject.CN).toBe(TEST_CN.server);
    expect(() => client.datagram('/q', { param: 1 }, { quick: true })).toThrow(
      expect.objectContaining({
        code: 'QUICK_OVER_TLS',
        message: 'quick (UDP) datagrams are clear text; refused on a TLS connection',
      }),
    );

    const allowed = newClient({ allowQuickOverTls: true });
    await allowed.connect(`vsoa://127.0.0.1:${port}`, { tls: { ca: pki.ca } });
    const got = nextEvent<[unknown, string, unknown, boolean]>(server, 'datagram');
    expect(allowed.datagram('/q', { param: 2 }, { quick: true })).toBe(true);
    const [, url, payload, quick] = await got;
    expect([url, payload, quick]).toEqual(['/q', { param: 2 }, true]);
  });

  it('has no peer certificate on a plain link', async () => {
    const server = new VsoaServer();
    teardowns.push(() => server.close());
    await server.listen({ host: '127.0.0.1', port: 0 });
    const client = newClient();
    expect(client.peerCertificate()).toBeNull();
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
    expect(client.peerCertificate()).toBeNull();
  });

  it('has no peer certificate on a TLS link whose server shows none (pre-shared key)', async () => {
    const psk = Buffer.from('0123456789abcdef');
    const suite = { ciphers: 'PSK-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' } as const;
    const server = new VsoaServer({ info: 'psk' });
    teardowns.push(() => server.close());
    await server.listen({ host: '127.0.0.1', port: 0, tls: { ...suite, pskCallback: () => psk } });
    const client = newClient();
    await expect(
      client.connect(`vsoa://127.0.0.1:${server.address()!.port}`, {
        tls: { ...suite, pskCallback: () => ({ psk, identity: 'client' }), checkServerIdentity: () => undefined },
      }),
    ).resolves.toBe('psk');
    expect(client.peerCertificate()).toBeNull();
  });
});
