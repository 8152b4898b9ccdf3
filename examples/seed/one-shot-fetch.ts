// examples/seed/one-shot-fetch.ts — the seed's vsoa.fetch, ported line by line.
// Run (with the echo server up): npm run build && node dist/examples/seed/one-shot-fetch.js
import { fetch } from '@vsoa/core';

export async function oneShot(url = 'vsoa://127.0.0.1:3005/echo', print = console.log): Promise<void> {
  try {
    // header, payload, _ = vsoa.fetch('vsoa://192.168.1.1:3001/echo', payload={'param': {'a': 3}})
    const reply = await fetch(url, { payload: { param: { a: 3 } } });
    print({ status: reply.status, seqno: reply.seqno, tunid: reply.tunid }, reply.payload); // if header: print(dict(header), dict(payload))
  } catch (error) {
    print('fetch error:', (error as Error).message); // the seed returns (None, None, code)
  }
}

if (require.main === module) void oneShot(process.argv[2]);
