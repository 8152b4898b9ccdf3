import { SubscriptionSet, urlMatches, UrlRouter } from './url';

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

describe('SubscriptionSet', () => {
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
});
