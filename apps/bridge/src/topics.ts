/**
 * The topic map. Under one prefix (`vsoa/car`):
 *   a publish on `/light`                → `vsoa/car/light`
 *   an RPC request for `/light`           ← `vsoa/car/rpc/light`
 *   its reply (no MQTT v5 response topic) → `vsoa/car/reply/light`
 *   a datagram to `/sensor/x`             ← `vsoa/car/datagram/sensor/x`
 */
export const RPC_LEVEL = 'rpc';
export const REPLY_LEVEL = 'reply';
export const DATAGRAM_LEVEL = 'datagram';

/** The bridge's own topic levels: a publish under them would read as a request (or a reply). */
const RESERVED = [RPC_LEVEL, REPLY_LEVEL, DATAGRAM_LEVEL].map((level) => `/${level}`);

/**
 * The topic a VSOA publish on `url` goes to, or the reason it has none: a URL under the
 * bridge's own levels, or with characters MQTT topic names may not hold.
 */
export function publishTopic(prefix: string, url: string): { topic: string } | { skip: string } {
  if (RESERVED.some((level) => url === level || url.startsWith(`${level}/`))) {
    return { skip: `${url} lies under the bridge's request topics (${RESERVED.join(', ')})` };
  }
  if (/[+#\0]/.test(url)) return { skip: `${url} holds a character MQTT topic names may not (+ # NUL)` };
  return { topic: `${prefix}${url}` };
}

/** The filter the bridge subscribes to for one kind of request, shared within `group` if given. */
export function requestFilter(prefix: string, level: typeof RPC_LEVEL | typeof DATAGRAM_LEVEL, group?: string): string {
  const filter = `${prefix}/${level}/#`;
  return group ? `$share/${group}/${filter}` : filter;
}

/** The VSOA URL a request topic names (`vsoa/car/rpc/light` → `/light`; the bare level → `/`). */
export function requestUrl(prefix: string, level: typeof RPC_LEVEL | typeof DATAGRAM_LEVEL, topic: string): string {
  const rest = topic.slice(`${prefix}/${level}`.length);
  return rest === '' ? '/' : rest;
}

/** Where the reply to a request for `url` goes when the request names no response topic. */
export function replyTopic(prefix: string, url: string): string {
  return `${prefix}/${REPLY_LEVEL}${url}`;
}

/**
 * The default prefix, `vsoa/<name>`, from the server's info: its `name` (or the info itself when
 * it is a string), made one topic level. Undefined when the info names nothing.
 */
export function prefixFromInfo(info: unknown): string | undefined {
  const name = typeof info === 'string' ? info : (info as { name?: unknown } | null)?.name;
  if (typeof name !== 'string') return undefined;
  const level = name.trim().replace(/[/+#\0\s]+/g, '_');
  return level === '' ? undefined : `vsoa/${level}`;
}
