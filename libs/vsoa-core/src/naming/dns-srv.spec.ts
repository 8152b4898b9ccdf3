import { orderSrv } from './dns-srv';

describe('orderSrv (RFC 2782)', () => {
  it('puts the weight-0 records of a priority first, so that a draw of 0 picks one of them', () => {
    const records = [
      { id: 'heavy', priority: 1, weight: 5 },
      { id: 'zero', priority: 1, weight: 0 },
      { id: 'later', priority: 2, weight: 0 },
    ];
    expect(orderSrv(records, () => 0).map((r) => r.id)).toEqual(['zero', 'heavy', 'later']);
    // The draw lands in [0, total]: the highest picks the record whose running sum reaches it.
    expect(orderSrv(records, (max) => max - 1).map((r) => r.id)).toEqual(['heavy', 'zero', 'later']);
  });

  it('draws from 0 to the sum of the weights, inclusive', () => {
    const asked: number[] = [];
    orderSrv(
      [
        { priority: 1, weight: 2 },
        { priority: 1, weight: 3 },
      ],
      (max) => {
        asked.push(max);
        return 0;
      },
    );
    // 2 + 3, then 3 alone: a draw in 0..5, then in 0..3 (`max` is exclusive).
    expect(asked).toEqual([6, 4]);
  });
});
