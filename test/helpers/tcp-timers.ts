import { execFileSync } from 'node:child_process';

/**
 * The kernel's timer column (`ss -o`) of the established TCP sockets that `filter` selects, e.g.
 * `( sport = :3005 )`: the only place TCP keepalive shows. Needs `ss` from iproute2, which
 * .ci/run installs; without it the test fails, rather than skip unseen.
 */
export function tcpTimers(filter: string): string {
  return execFileSync('ss', ['-tnoH', 'state', 'established', filter], { encoding: 'utf8' });
}
