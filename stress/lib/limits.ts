/** The process's open-file limit, which bounds how many connections a case can open. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The soft limit on open files (`ulimit -n`), or Infinity when it is unlimited or unknown. */
export function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    if (soft) return soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    // not Linux: ask the shell
  }
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Infinity : Number(out) || Infinity;
  } catch {
    return Infinity;
  }
}
