// examples/seed/position.ts — the seed's position server and lookup, ported line by line.
// Run: npm run build && node dist/examples/seed/position.js
import { AF_INET, lookup, PositionServer, setPositionServer } from '@vsoa/core';

export async function positionServer(host = '0.0.0.0', port = 3000): Promise<PositionServer> {
  // def onquery(search, reply):
  //     if search['name'] == 'myserver': reply({'addr': '127.0.0.1', 'port': 3005, 'domain': socket.AF_INET})
  //     else: reply(None)
  const pserv = new PositionServer((search, reply) => {
    if (search.name === 'myserver') reply({ addr: '127.0.0.1', port: 3005, domain: AF_INET });
    else reply(null);
  });

  await pserv.listen({ host, port }); // pserv.run('0.0.0.0', 3000)
  return pserv;
}

/** The lookup side: `vsoa.pos('127.0.0.1', 3000)`, then `addr, port = vsoa.lookup('myserver')`. */
export async function whereIs(name: string, port = 3000, print = console.log): Promise<void> {
  setPositionServer('127.0.0.1', port); // vsoa.pos('127.0.0.1', 3000)
  try {
    const { addr, port: servicePort } = await lookup(name); // addr, port = vsoa.lookup('myserver')
    print(addr, servicePort);
  } catch {
    print('not found'); // the seed returns None; a miss rejects here (SERVER_NOT_FOUND)
  }
}

if (require.main === module) {
  void positionServer('127.0.0.1').then(async (pserv) => {
    await whereIs('myserver');
    await pserv.close();
  });
}
