/** The README's runnable examples (examples/*.ts) still do what the README says they do. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as streamFile } from '../../examples/stream-file';
import { main as workQueue } from '../../examples/work-queue';
import { main as naming } from '../../examples/naming';
import { main as tls } from '../../examples/tls';
import { main as gateway } from '../../examples/gateway';
import { main as resource } from '../../examples/resource';
import { disposeTestPki, makeTestPki, TEST_CN } from '../helpers/certs';

afterAll(() => disposeTestPki());

it('stream-file downloads the file byte for byte', async () => {
  const file = join(__dirname, '..', '..', 'README.md');
  const content = readFileSync(file);
  await expect(streamFile(file)).resolves.toEqual({ bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') });
});

it('work-queue runs the calls one at a time, in order', async () => {
  await expect(workQueue()).resolves.toEqual([
    '/move 1 start',
    '/move 1 done',
    '/home 2 start',
    '/home 2 done',
    '/move 3 start',
    '/move 3 done',
  ]);
});

it('naming finds the service by name and follows it to the standby', async () => {
  const seen = await naming();
  expect(seen[0]).toBe('one-shot: primary');
  expect(seen).toContain('state from primary');
  expect(seen[seen.length - 1]).toBe('state from standby');
});

it('tls authenticates both sides and streams over TLS', async () => {
  const pki = await makeTestPki();
  await expect(tls(pki)).resolves.toEqual({
    serverSaw: TEST_CN.client,
    clientSaw: TEST_CN.server,
    streamed: 'a secret file',
    encrypted: true,
  });
});

it('gateway forwards a call and a subscription under /car', async () => {
  await expect(gateway()).resolves.toEqual(['/car/speed -> {"kmh":88}', '/car/doors <- {"locked":true}']);
});

it('resource refuses a bad SET, publishes the rest, and the regulated dashboard sees fewer, latest updates', async () => {
  const result = await resource();
  expect(result.state).toEqual({ on: true, brightness: 100 });
  expect(result.refused).toBe(2);
  expect(result.last).toEqual({ on: true, brightness: 100 });
  expect(result.updates).toBeLessThan(50);
});
