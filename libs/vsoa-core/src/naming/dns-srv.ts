import { promises as dns } from 'node:dns';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { AF_INET, AF_INET6, LookupOptions, PositionEntry } from '../position/position-types';
import { srvCandidates } from './dns-search';

/** An SRV record, as Node's resolver gives it. */
interface SrvRecord {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/** DNS answers that mean "no such name or record", not a failure to ask. */
const NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

/** Why a DNS lookup found nothing: `null` when the name has no records, else the resolver's error. */
export type DnsMiss = { found: false; reason: string };

/**
 * The servers of `name` from DNS: its SRV records (`_vsoa._tcp.<name>`, or the `srvName`
 * template; in each search domain first for a short name), lowest priority first and,
 * within a priority, in a weighted random order (RFC 2782); each target resolved to its IPv4 and
 * IPv6 addresses (one entry per address). Uses Node's module-level resolver, so `dns.setServers()`
 * and the system's resolv.conf (search domains included, as in Kubernetes) apply. Resolves with
 * the entries (empty when the name has none), or the reason it could not ask.
 */
export async function srvEntries(name: string, options: LookupOptions = {}): Promise<PositionEntry[] | DnsMiss> {
  const failures: string[] = [];
  for (const owner of srvCandidates(name, options)) {
    let records: SrvRecord[];
    try {
      records = await dns.resolveSrv(owner);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!NOT_FOUND.has(code)) failures.push(`DNS ${owner}: ${(error as Error).message}`);
      continue;
    }
    const entries: PositionEntry[] = [];
    for (const record of orderSrv(records)) {
      for (const addr of await addressesOf(record.name)) {
        entries.push({ name, addr, port: record.port, domain: isIPv6(addr) ? AF_INET6 : AF_INET, security: false });
      }
    }
    if (entries.length > 0) return entries;
  }
  return failures.length > 0 ? { found: false, reason: failures.join('; ') } : [];
}

/**
 * The addresses of a host name through the same resolver (A, then AAAA); none when it has none.
 * A target that is an address already is used as it is.
 */
export async function addressesOf(host: string): Promise<string[]> {
  const answers = await Promise.all([dns.resolve4(host).catch(() => []), dns.resolve6(host).catch(() => [])]);
  return answers.flat();
}

/** RFC 2782 order: by priority, and within one, a weighted random draw (weight 0 rarely first). */
export function orderSrv<T extends { priority: number; weight: number }>(
  records: readonly T[],
  random: (max: number) => number = randomInt,
): T[] {
  const byPriority = new Map<number, T[]>();
  for (const record of records) (byPriority.get(record.priority) ?? byPriority.set(record.priority, []).get(record.priority)!).push(record);
  const ordered: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    // Zero weights first, so that they are picked only when nothing weighs more (RFC 2782).
    const left = byPriority.get(priority)!.sort((a, b) => a.weight - b.weight);
    while (left.length > 0) {
      const total = left.reduce((sum, record) => sum + record.weight, 0);
      let pick = total > 0 ? random(total + 1) : 0;
      let index = 0;
      for (; index < left.length - 1; index++) {
        pick -= left[index].weight;
        if (pick <= 0) break;
      }
      ordered.push(left.splice(index, 1)[0]);
    }
  }
  return ordered;
}
