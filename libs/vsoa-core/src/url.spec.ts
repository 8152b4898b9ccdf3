import { isValidUrl, SubscriptionSet, urlMatches, UrlRouter } from './url';

describe('urlMatches (subscription and prefix rules of the reference)', () => {
  it.each([
    ['/', '/anything/at/all', true],
    ['/a', '/a', true],
    ['/a', '/a/b', false],
    ['/a/', '/a', true],
    ['/a/', '/a/b', true],
    ['/a/', '/a/b/c', true],
    ['/a/', '/ab', false],
    ['/a/', '/', false],
    ['/a/b/', '/a', false],
  ])('%s covers %s: %s', (pattern, url, expected) => {
    expect(urlMatches(pattern, url)).toBe(expected);
  });
});

describe('isValidUrl', () => {
  it('takes a non-empty string starting with /, and nothing else', () => {
    expect(['/', '/a', '/a/b/'].map(isValidUrl)).toEqual([true, true, true]);
    expect(['', 'a', 'a/', ' /a', 1, null, undefined].map(isValidUrl)).toEqual([false, false, false, false, false, false, false]);
  });
});

describe('SubscriptionSet', () => {
  it('has() tells exact subscriptions and prefixes apart; delete() and clear() forget them', () => {
    const set = new SubscriptionSet();
    set.add('/a/');
    set.add('/b');
    expect([set.has('/a/'), set.has('/a'), set.has('/b'), set.has('/b/')]).toEqual([true, false, true, false]);
    set.delete('/b');
    expect(set.has('/b')).toBe(false);
    expect(set.matches('/b')).toBe(false);
    expect(set.size).toBe(1);
    set.clear();
    expect(set.size).toBe(0);
    expect(set.values()).toEqual([]);
    expect(set.matches('/a/x')).toBe(false);
  });

  it('matches exact and prefix subscriptions and forgets deleted ones', () => {
    const set = new SubscriptionSet();
    set.add('/a/');
    set.add('/b');
    expect(set.matches('/a/x')).toBe(true);
    expect(set.matches('/b')).toBe(true);
    expect(set.matches('/b/x')).toBe(false);
    set.delete('/a/');
    expect(set.matches('/a/x')).toBe(false);
    expect(set.values()).toEqual(['/b']);
  });
});

describe('UrlRouter', () => {
  it('prefers exact, then the longest prefix whatever the registration order, then the default', () => {
    const router = new UrlRouter<string>();
    router.set('/', 'default');
    router.set('/a/', 'short');
    router.set('/a/b/', 'long');
    router.set('/a/b/c', 'exact');
    expect(router.find('/a/b/c')?.value).toBe('exact');
    expect(router.find('/a/b/d')).toEqual({ pattern: '/a/b/', value: 'long' });
    expect(router.find('/a/x')?.value).toBe('short');
    expect(router.find('/a')?.value).toBe('short');
    expect(router.find('/zzz')?.value).toBe('default');
    router.delete('/');
    expect(router.find('/zzz')).toBeUndefined();
  });

  it('counts its patterns, and deletes an exact one without touching the prefix of the same name', () => {
    const router = new UrlRouter<string>();
    router.set('/a', 'exact');
    router.set('/a/', 'prefix');
    router.set('/b', 'other');
    expect(router.size).toBe(3);
    expect(router.delete('/a')).toBe(true);
    expect(router.delete('/a')).toBe(false);
    expect(router.size).toBe(2);
    // '/a' now falls to the prefix that covers it.
    expect(router.find('/a')).toEqual({ pattern: '/a/', value: 'prefix' });
    expect(router.delete('/a/')).toBe(true);
    expect(router.find('/a')).toBeUndefined();
    expect(router.size).toBe(1);
    expect(router.patterns()).toEqual(['/b']);
    router.set('/c/', 'prefix');
    expect(router.patterns().sort()).toEqual(['/b', '/c/']);
  });
});

describe('indexed matching agrees with the reference rules', () => {
  // Patterns and URLs over a small alphabet, so that they overlap often.
  const SEGMENTS = ['a', 'b', 'ab', ''];
  function randomUrl(random: () => number): string {
    const depth = 1 + Math.floor(random() * 4);
    let url = '';
    for (let i = 0; i < depth; i++) url += '/' + SEGMENTS[Math.floor(random() * SEGMENTS.length)];
    return url;
  }
  /** A small seeded generator (mulberry32), so a failure can be replayed. */
  function seeded(seed: number): () => number {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('SubscriptionSet.matches and UrlRouter.find give what urlMatches and a longest-match scan give', () => {
    const random = seeded(2026);
    for (let round = 0; round < 300; round++) {
      const patterns = Array.from({ length: 1 + Math.floor(random() * 6) }, () => randomUrl(random) + (random() < 0.5 ? '/' : ''));
      const set = new SubscriptionSet();
      const router = new UrlRouter<string>();
      for (const pattern of patterns) {
        set.add(pattern);
        router.set(pattern, pattern);
      }
      for (let probe = 0; probe < 10; probe++) {
        const url = randomUrl(random);
        expect(set.matches(url)).toBe(patterns.some((pattern) => urlMatches(pattern, url)));
        // Patterns ending in '/' are prefixes even when called as they are.
        const exact = !url.endsWith('/') && patterns.includes(url) ? url : undefined;
        const longest = patterns.filter((p) => p.endsWith('/') && urlMatches(p, url)).sort((a, b) => b.length - a.length)[0];
        expect(router.find(url)?.pattern).toBe(exact ?? longest);
      }
    }
  });
});
