/** Wrong passwords are refused and closed, the right one accepted; silent connections closed at 5 s. */
import { PacketType, VsoaClient, VsoaStatus } from '@vsoa/core';
import { CaseContext, CaseOutcome, Findings, StressCase } from '../lib/case';
import { moved, msec, secs } from '../lib/format';
import { RawConn } from '../lib/raw-conn';
import { within } from '../lib/time';

const PASSWD = 'stress-pw';
/** The server's default handshake timeout, and the slack allowed around it. */
const HANDSHAKE_TIMEOUT = 5000;
const EARLY_SLACK = 100;
const LATE_SLACK = 1000;

const scale = (smoke: boolean): number => (smoke ? 50 : 200);

/** Sends a wrong password; resolves with how long until the server closed, or why it did not. */
async function wrongPassword(port: number, i: number): Promise<number | string> {
  const conn = await RawConn.open(port);
  const start = performance.now();
  try {
    const reply = await conn.handshake(`wrong-${i}`);
    if (reply.type !== PacketType.SERVINFO || reply.status !== VsoaStatus.PASSWORD) {
      return `answered type ${reply.type} status ${reply.status}, not PASSWORD`;
    }
    await within(conn.whenClosed, 2000, 'the server to close');
    return conn.closedAt - start;
  } catch (error) {
    return (error as Error).message;
  } finally {
    conn.destroy();
  }
}

/** Opens a connection that never handshakes; resolves with when the server closed it. */
async function silent(port: number): Promise<number | string> {
  const conn = await RawConn.open(port);
  const start = performance.now();
  try {
    await within(conn.whenClosed, HANDSHAKE_TIMEOUT + 3000, 'the server to close a silent connection');
    return conn.closedAt - start;
  } catch (error) {
    return (error as Error).message;
  } finally {
    conn.destroy();
  }
}

const numbers = (results: Array<number | string>): number[] => results.filter((r): r is number => typeof r === 'number');
const errors = (results: Array<number | string>): string[] => results.filter((r): r is string => typeof r === 'string');

async function run(ctx: CaseContext): Promise<CaseOutcome> {
  const found = new Findings();
  const n = scale(ctx.smoke);
  const server = await ctx.startServer({ passwd: PASSWD });
  const before = await server.stats();

  const refused = await Promise.all(Array.from({ length: n }, (_, i) => wrongPassword(server.port, i)));
  const refusedMs = numbers(refused);
  found.check(
    refusedMs.length === n,
    `${n - refusedMs.length} of ${n} wrong passwords not refused and closed; first: ${errors(refused)[0]}`,
  );

  const client = new VsoaClient({ timeout: 5000 });
  try {
    await client.connect(`vsoa://127.0.0.1:${server.port}`, { passwd: PASSWD });
    found.check((await client.fetch('/echo')).status === 0, 'the right password connected, but /echo failed');
  } catch (error) {
    found.fail(`the right password was not accepted: ${(error as Error).message}`);
  } finally {
    await client.close();
  }

  const closed = await Promise.all(Array.from({ length: n }, () => silent(server.port)));
  const closedMs = numbers(closed);
  found.check(closedMs.length === n, `${n - closedMs.length} of ${n} silent connections not closed; first: ${errors(closed)[0]}`);
  const first = Math.min(...closedMs);
  const last = Math.max(...closedMs);
  found.check(
    first >= HANDSHAKE_TIMEOUT - EARLY_SLACK,
    `a silent connection was closed after ${msec(first)}, before ${HANDSHAKE_TIMEOUT} ms`,
  );
  found.check(last <= HANDSHAKE_TIMEOUT + LATE_SLACK, `a silent connection was closed only after ${msec(last)}`);

  const counters = moved(before.counters, (await server.stats()).counters);
  if (before.counters) {
    found.check(counters.passwordRefused === n, `counters.passwordRefused moved by ${counters.passwordRefused ?? 0}, expected ${n}`);
    found.check(counters.handshakeTimeouts === n, `counters.handshakeTimeouts moved by ${counters.handshakeTimeouts ?? 0}, expected ${n}`);
  }
  const figure =
    `${refusedMs.length}/${n} wrong refused and closed (max ${msec(Math.max(...refusedMs, 0))}), right one accepted; ` +
    `${closedMs.length}/${n} silent closed at ${secs(first)}–${secs(last)}`;
  return found.outcome(figure);
}

export const handshakesCase: StressCase = {
  id: 'handshakes',
  title: (smoke) => `${scale(smoke)} wrong passwords, ${scale(smoke)} silent connections`,
  targets: ['ours', 'official'],
  timeout: 60_000,
  run,
};
