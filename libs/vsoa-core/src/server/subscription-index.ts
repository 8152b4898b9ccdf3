import { forEachCoveringPrefix } from '../url';

/**
 * Who subscribed to what, indexed by URL, so that a publish looks only at the subscribers whose
 * subscriptions cover its URL: the exact URL, then each prefix pattern that covers it (O(URL
 * depth)), never at the other clients or their other subscriptions.
 */
export class SubscriptionIndex<C> {
  private readonly exact = new Map<string, Set<C>>();
  private readonly prefixes = new Map<string, Set<C>>();

  add(url: string, subscriber: C): void {
    const map = url.endsWith('/') ? this.prefixes : this.exact;
    let set = map.get(url);
    if (!set) map.set(url, (set = new Set()));
    set.add(subscriber);
  }

  delete(url: string, subscriber: C): void {
    const map = url.endsWith('/') ? this.prefixes : this.exact;
    const set = map.get(url);
    if (set?.delete(subscriber) && set.size === 0) map.delete(url);
  }

  /** Calls `visit` once for each subscriber whose subscriptions cover `url`. */
  forEach(url: string, visit: (subscriber: C) => void): void {
    const first = this.exact.get(url);
    let groups: Array<Set<C>> | null = first ? [first] : null;
    if (this.prefixes.size > 0) {
      forEachCoveringPrefix(url, (prefix) => {
        const set = this.prefixes.get(prefix);
        if (set) (groups ??= []).push(set);
      });
    }
    if (!groups) return;
    if (groups.length === 1) {
      for (const subscriber of groups[0]) visit(subscriber);
      return;
    }
    // A subscriber covered twice (say by /a/ and /a/b) gets the message once.
    const seen = new Set<C>();
    for (const group of groups) {
      for (const subscriber of group) {
        if (seen.has(subscriber)) continue;
        seen.add(subscriber);
        visit(subscriber);
      }
    }
  }

  /** True when some subscriber covering `url` passes `test`. */
  some(url: string, test: (subscriber: C) => boolean): boolean {
    let found = false;
    const check = (set: Set<C> | undefined): boolean => {
      if (set) for (const subscriber of set) if (test(subscriber)) return (found = true);
      return false;
    };
    if (check(this.exact.get(url))) return true;
    if (this.prefixes.size > 0) forEachCoveringPrefix(url, (prefix) => check(this.prefixes.get(prefix)));
    return found;
  }
}
