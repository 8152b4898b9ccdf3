import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { VsoaClient } from '../client/client';
import { VsoaServer } from './server';
import { nextEvent } from '../../../../test/helpers/events';
import { registerTestSdk } from '../../../../test/telemetry/setup';
import { teardownsAfterEach } from '../../../../test/helpers/teardowns';

const sdk = registerTestSdk();

describe('server spans of calls a client left', () => {
  const teardowns = teardownsAfterEach();

  it('ends the SERVER span of an unanswered call in error, CLOSED, when its client leaves', async () => {
    const server = new VsoaServer();
    let arrived!: () => void;
    const handling = new Promise<void>((resolve) => (arrived = resolve));
    server.command('/never', () => arrived());
    await server.listen({ host: '127.0.0.1', port: 0 });
    teardowns.push(() => server.close());
    const client = new VsoaClient({ timeout: 2000 });
    teardowns.push(() => client.close());
    await client.connect(`vsoa://127.0.0.1:${server.address()!.port}`);
    const call = client.fetch('/never').catch((error: unknown) => error);
    await handling;
    const left = nextEvent(server, 'client', (_cli, connected) => !connected);
    await client.close();
    await Promise.all([call, left]);
    const span = sdk.spans().find((s) => s.name === '/never' && s.kind === SpanKind.SERVER);
    expect(span?.attributes['error.type']).toBe('CLOSED');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'the client left before the reply' });
  });
});
