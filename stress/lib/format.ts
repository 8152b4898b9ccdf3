/** Numbers as the report prints them. */

export const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

/** A signed difference in MB: "+1.2 MB". */
export const dmb = (bytes: number): string => `${bytes >= 0 ? '+' : '-'}${mb(Math.abs(bytes))}`;

export const secs = (ms: number): string => `${(ms / 1000).toFixed(ms < 9995 ? 2 : 1)} s`;

export const msec = (ms: number): string => `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;

/** 1000000 → "1M", 20000 → "20k". */
export function count(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e4 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** Per second, rounded: "12.3k/s". */
export function rate(n: number, ms: number): string {
  const perSecond = (n * 1000) / Math.max(1, ms);
  return perSecond >= 1000 ? `${(perSecond / 1000).toFixed(1)}k/s` : `${Math.round(perSecond)}/s`;
}

/** `{ TCPSocketWrap: 2, Timeout: 1 }` → "TCPSocketWrap 2, Timeout 1". */
export function tally(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** Counter moves between two snapshots (only those that moved). */
export function moved(before: Record<string, number> | null, after: Record<string, number> | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!before || !after) return out;
  for (const [name, value] of Object.entries(after)) if (value !== (before[name] ?? 0)) out[name] = value - (before[name] ?? 0);
  return out;
}
