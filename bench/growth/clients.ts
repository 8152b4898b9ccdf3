/**
 * A growth client process: connects groups of our VsoaClient to the server being measured (the
 * clients are the same whichever server it is) and counts what its target subscribers receive.
 */
import { VsoaClient } from '@vsoa/core';
import { fail } from '../child';
import { CALLED_URL, FromClients, Group, TARGET_URL, ToClients } from './messages';

/** Connects in flight at once: quick, yet well inside either server's accept backlog. */
const CONNECTS_IN_FLIGHT = 100;

/** Every client stays referenced (and connected) until the driver kills the process. */
const clients: VsoaClient[] = [];
let received = 0;

function tell(message: FromClients): void {
  process.send?.(message);
}

async function connectOne(url: string, subscriptions: string[], counts: boolean): Promise<VsoaClient> {
  const client = new VsoaClient({ timeout: 60_000 });
  await client.connect(url);
  clients.push(client);
  if (counts) client.on('message', () => received++);
  if (subscriptions.length > 0) await client.subscribe(subscriptions);
  return client;
}

/** Keeps `inFlight` calls to CALLED_URL going; a failed call ends the process. */
function keepCalling(client: VsoaClient, inFlight: number): void {
  for (let i = 0; i < inFlight; i++) {
    void (async () => {
      for (;;) {
        const reply = await client.fetch(CALLED_URL);
        if (reply.status !== 0) throw new Error(`${CALLED_URL}: status ${reply.status}`);
      }
    })().catch(fail);
  }
}

/** The connects (with subscriptions) one group asks for. */
function connectsOf(url: string, group: Group): Array<() => Promise<unknown>> {
  const many = (n: number, make: (i: number) => () => Promise<unknown>): Array<() => Promise<unknown>> =>
    Array.from({ length: n }, (_, i) => make(i));
  switch (group.kind) {
    case 'idle':
      return many(group.clients, () => () => connectOne(url, [], false));
    case 'own':
      return many(group.clients, (i) => () => connectOne(url, [`/c/${group.first + i}`], false));
    case 'target':
      return many(group.clients, () => () => connectOne(url, [TARGET_URL], true));
    case 'prefixes': {
      const prefixes = Array.from({ length: group.subscriptions }, (_, n) => `/p/${n}/`);
      return [() => connectOne(url, prefixes, false)];
    }
    case 'caller':
      return [async () => keepCalling(await connectOne(url, [], false), group.inFlight)];
  }
}

/** Runs the connects, CONNECTS_IN_FLIGHT at a time; stops at the first failure and answers how many got through. */
async function connect(url: string, groups: Group[]): Promise<FromClients> {
  const connects = groups.flatMap((group) => connectsOf(url, group));
  let next = 0;
  let done = 0;
  let error: string | undefined;
  const worker = async (): Promise<void> => {
    while (error === undefined && next < connects.length) {
      try {
        await connects[next++]();
        done++;
      } catch (cause) {
        error ??= cause instanceof Error ? cause.message : String(cause);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTS_IN_FLIGHT }, worker));
  return { type: 'connected', clients: done, error };
}

process.on('message', (message: ToClients) => {
  if (message.type === 'received') tell({ type: 'received', count: received });
  else connect(message.url, message.groups).then(tell, fail);
});
