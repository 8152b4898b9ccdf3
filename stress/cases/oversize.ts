/** Headers declaring 1 GiB or the cap + 1: the connection is closed on the header, nothing is buffered. */
import { HEADER_LENGTH, MAX_PACKET_LENGTH } from '@vsoa/core';
import { CaseContext, CaseOutcome, Findings, StressCase } from '../lib/case';
import { dmb, moved, msec } from '../lib/format';
import { RawConn } from '../lib/raw-conn';
import { CAP_PLUS_ONE_HEADER, GIB_HEADER } from '../lib/wire';
import { sleep, within } from '../lib/time';

const PASSWD = 'stress-pw';
/** Body bytes sent behind the header: what a buffering server would have to keep. */
const BODY = 1024 * 1024;
/**
 * The body follows the header after this pause (ms): a server that decides on the header has
 * closed by then (with room for a busy machine); one that waits for the body has not.
 */
const BODY_DELAY = 250;
/** The server must close this fast after the header. */
const CLOSE_WITHIN = 1000;
/** RSS may move this much while all of them are sent (a buffering server would take BODY each). */
const RSS_SLACK = 8 * 1024 * 1024;

const VECTORS = [
  { name: '1 GiB', header: GIB_HEADER, body: BODY },
  { name: 'cap + 1', header: CAP_PLUS_ONE_HEADER, body: MAX_PACKET_LENGTH + 1 - HEADER_LENGTH },
] as const;

const scale = (smoke: boolean): number => (smoke ? 5 : 25);

/**
 * Sends one oversize header (after a handshake or not), then its body unless the server has closed
 * by then. Resolves with ms until the server closed, or why it did not close on the header.
 */
async function attempt(port: number, vector: (typeof VECTORS)[number], handshake: boolean): Promise<number | string> {
  const conn = await RawConn.open(port);
  try {
    if (handshake) await conn.handshake(PASSWD);
    const start = performance.now();
    await conn.write(vector.header);
    await sleep(BODY_DELAY);
    const closedOnHeader = conn.closed;
    await conn.write(Buffer.alloc(vector.body, 0x41));
    await within(conn.whenClosed, CLOSE_WITHIN, `the server to close after a ${vector.name} header`);
    return closedOnHeader ? conn.closedAt - start : `closed only after the body was sent`;
  } catch (error) {
    return (error as Error).message;
  } finally {
    conn.destroy();
  }
}

async function run(ctx: CaseContext): Promise<CaseOutcome> {
  const found = new Findings();
  const reps = scale(ctx.smoke);
  const server = await ctx.startServer({ passwd: PASSWD });
  const before = await server.stats(true);
  await server.request('resetPeak', {});
  const tries = VECTORS.flatMap((vector) =>
    [false, true].flatMap((handshake) => Array.from({ length: reps }, () => ({ vector, handshake }))),
  );
  const results = await Promise.all(tries.map(({ vector, handshake }) => attempt(server.port, vector, handshake)));
  const after = await server.stats();

  const times = results.filter((r): r is number => typeof r === 'number');
  const failed = results.flatMap((r, i) =>
    typeof r === 'string' ? [`${tries[i].vector.name}${tries[i].handshake ? ' after handshake' : ''}: ${r}`] : [],
  );
  found.check(failed.length === 0, `${failed.length} of ${tries.length} not closed on the header; first: ${failed[0]}`);
  const jump = after.peakRss - before.rss;
  found.check(jump < RSS_SLACK, `server peak RSS rose ${dmb(jump)} (limit ${dmb(RSS_SLACK)})`);
  const counters = moved(before.counters, after.counters);
  if (before.counters) {
    found.check(
      counters.closedForProtocol === tries.length,
      `closedForProtocol moved by ${counters.closedForProtocol ?? 0}, expected ${tries.length}`,
    );
  }
  const figure = `${times.length}/${tries.length} closed on the header (max ${msec(Math.max(0, ...times))}); peak RSS ${dmb(jump)}`;
  return found.outcome(figure);
}

export const oversizeCase: StressCase = {
  id: 'oversize',
  title: (smoke) => `oversize lengths (1 GiB, cap + 1; ${scale(smoke) * 4} connections)`,
  targets: ['ours', 'official'],
  timeout: 60_000,
  run,
};
