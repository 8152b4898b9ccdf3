/**
 * URL matching shared by subscriptions and command lookup.
 *
 * A pattern ending in `/` covers the URL without that slash and every URL under it (`/a/`
 * covers `/a`, `/a/b`, `/a/b/c`, not `/ab`); `/` covers everything; any other pattern covers
 * only itself.
 */
export function urlMatches(pattern: string, url: string): boolean {
  if (pattern === url) return true;
  const last = pattern.length - 1;
  if (last < 0 || pattern.charCodeAt(last) !== 0x2f) return false;
  if (last === 0) return true;
  return url.startsWith(pattern) || (url.length === last && pattern.startsWith(url));
}

/** A valid VSOA URL: non-empty, starting with `/`. */
export function isValidUrl(url: unknown): url is string {
  return typeof url === 'string' && url.length > 0 && url.charCodeAt(0) === 0x2f;
}

/** Subscriptions of one client, matched without allocation. */
export class SubscriptionSet {
  private readonly exact = new Set<string>();
  private readonly prefixes = new Set<string>();

  get size(): number {
    return this.exact.size + this.prefixes.size;
  }

  add(url: string): void {
    (url.endsWith('/') ? this.prefixes : this.exact).add(url);
  }

  /** True when `url` itself was added (not merely covered by a prefix). */
  has(url: string): boolean {
    return (url.endsWith('/') ? this.prefixes : this.exact).has(url);
  }

  delete(url: string): void {
    (url.endsWith('/') ? this.prefixes : this.exact).delete(url);
  }

  clear(): void {
    this.exact.clear();
    this.prefixes.clear();
  }

  /** True when a publish on `url` is covered by one of the subscriptions. */
  matches(url: string): boolean {
    if (this.exact.has(url)) return true;
    for (const prefix of this.prefixes) if (urlMatches(prefix, url)) return true;
    return false;
  }

  values(): string[] {
    return [...this.exact, ...this.prefixes];
  }
}

/**
 * Handlers by URL: exact first, then the longest matching prefix (a pattern ending in `/`),
 * then the default `/`. Longest-prefix makes the outcome independent of registration order.
 */
export class UrlRouter<T> {
  private readonly exact = new Map<string, T>();
  /** Prefix patterns, kept longest first. */
  private prefixes: Array<[string, T]> = [];

  set(url: string, value: T): void {
    if (url.endsWith('/')) {
      this.prefixes = this.prefixes.filter(([p]) => p !== url);
      this.prefixes.push([url, value]);
      this.prefixes.sort((a, b) => b[0].length - a[0].length);
    } else {
      this.exact.set(url, value);
    }
  }

  delete(url: string): boolean {
    if (!url.endsWith('/')) return this.exact.delete(url);
    const before = this.prefixes.length;
    this.prefixes = this.prefixes.filter(([p]) => p !== url);
    return this.prefixes.length !== before;
  }

  /** The handler for `url` and the pattern it was registered under. */
  find(url: string): { pattern: string; value: T } | undefined {
    const exact = this.exact.get(url);
    if (exact !== undefined) return { pattern: url, value: exact };
    for (const [pattern, value] of this.prefixes) if (urlMatches(pattern, url)) return { pattern, value };
    return undefined;
  }
}
