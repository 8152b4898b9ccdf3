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

/**
 * Calls `visit` with each prefix pattern that covers `url`, longest first — `url` + `/`, then
 * `url` cut after each of its slashes, down to `/` — until `visit` returns true. Looking these up
 * costs O(URL depth) however many patterns are registered.
 */
export function forEachCoveringPrefix(url: string, visit: (prefix: string) => boolean | void): boolean {
  if (visit(url + '/')) return true;
  for (let i = url.length - 1; i >= 0; i--) {
    if (url.charCodeAt(i) === 0x2f && visit(url.slice(0, i + 1))) return true;
  }
  return false;
}

/** Subscriptions of one client: a publish is matched in O(URL depth). */
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
    if (this.prefixes.size === 0) return false;
    return forEachCoveringPrefix(url, (prefix) => this.prefixes.has(prefix));
  }

  values(): string[] {
    return [...this.exact, ...this.prefixes];
  }
}

/**
 * Handlers by URL: exact first, then the longest matching prefix (a pattern ending in `/`),
 * then the default `/`. Longest-prefix makes the outcome independent of registration order.
 * Lookup is O(URL depth) and registration O(1), however many patterns there are.
 */
export class UrlRouter<T> {
  private readonly exact = new Map<string, T>();
  private readonly prefixes = new Map<string, T>();

  /** Number of registered patterns. */
  get size(): number {
    return this.exact.size + this.prefixes.size;
  }

  set(url: string, value: T): void {
    (url.endsWith('/') ? this.prefixes : this.exact).set(url, value);
  }

  delete(url: string): boolean {
    return (url.endsWith('/') ? this.prefixes : this.exact).delete(url);
  }

  /** The handler for `url` and the pattern it was registered under. */
  find(url: string): { pattern: string; value: T } | undefined {
    const exact = this.exact.get(url);
    if (exact !== undefined) return { pattern: url, value: exact };
    if (this.prefixes.size === 0) return undefined;
    let found: { pattern: string; value: T } | undefined;
    forEachCoveringPrefix(url, (prefix) => {
      const value = this.prefixes.get(prefix);
      if (value === undefined) return false;
      found = { pattern: prefix, value };
      return true;
    });
    return found;
  }

  /** Every registered pattern, exact URLs and prefixes. */
  patterns(): string[] {
    return [...this.exact.keys(), ...this.prefixes.keys()];
  }
}
