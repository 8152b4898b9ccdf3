import { LiveFeed } from './live-feed';

it('sends nothing when nothing was published', () => {
  expect(new LiveFeed().flush()).toBeNull();
});

it('gives each URL one update per flush: its count, how many arrived, and the last value', () => {
  const feed = new LiveFeed();
  feed.record('/a', { param: 1 }, false);
  feed.record('/a', { param: 2 }, true);
  feed.record('/b', { data: Buffer.from([1, 2, 3]) }, false);
  expect(feed.flush(1000)).toEqual({
    at: 1000,
    sampled: 1,
    untracked: 0,
    updates: [
      { url: '/a', count: 2, delta: 2, param: 2, paramCut: false, dataBytes: 0, dataHead: '', quick: true },
      { url: '/b', count: 1, delta: 1, param: null, paramCut: false, dataBytes: 3, dataHead: '010203', quick: false },
    ],
  });
  feed.record('/a', { param: 3 }, false);
  expect(feed.flush(1100)!.updates).toEqual([expect.objectContaining({ url: '/a', count: 3, delta: 1, param: 3 })]);
  expect(feed.snapshot().map(({ url, count, delta }) => [url, count, delta])).toEqual([
    ['/a', 3, 0],
    ['/b', 1, 0],
  ]);
});

it('stays bounded: URLs past the limit are counted only, long params and data are cut', () => {
  const feed = new LiveFeed({ maxTopics: 2, maxParamChars: 10 });
  feed.record('/1', { param: 'a'.repeat(20), data: Buffer.alloc(100, 0xab) }, false);
  feed.record('/2', { param: 'short' }, false);
  feed.record('/3', { param: 1 }, false);
  feed.record('/4', { param: 1 }, false);
  const batch = feed.flush()!;
  expect(batch.untracked).toBe(2);
  expect(batch.updates.map((update) => update.url)).toEqual(['/1', '/2']);
  expect(batch.updates[0]).toMatchObject({ param: `"${'a'.repeat(9)}…`, paramCut: true, dataBytes: 100, dataHead: 'ab'.repeat(32) });
  expect(batch.updates[1]).toMatchObject({ param: 'short', paramCut: false });
  // The untracked count is reported once.
  feed.record('/5', { param: 1 }, false);
  expect(feed.flush()).toMatchObject({ updates: [], untracked: 1 });
  expect(feed.flush()).toBeNull();
  feed.clear();
  expect(feed.size).toBe(0);
});
