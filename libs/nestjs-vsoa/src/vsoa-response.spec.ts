import { toPayload } from './vsoa-response';

// What a VSOA caller receives for each kind of value a handler returns.
describe('the reply payload of a handler result', () => {
  it('is empty for undefined and null', () => {
    expect(toPayload(undefined)).toEqual({});
    expect(toPayload(null)).toEqual({});
  });

  it('carries a Buffer as binary data, without a param', () => {
    expect(toPayload(Buffer.from([1, 2]))).toEqual({ data: Buffer.from([1, 2]) });
  });

  it('takes { param, data } with a Buffer data as the payload itself, with or without the param', () => {
    const both = { param: { n: 1 }, data: Buffer.from([3]) };
    expect(toPayload(both)).toBe(both);
    const dataOnly = { data: Buffer.from([4]) };
    expect(toPayload(dataOnly)).toBe(dataOnly);
  });

  it('answers anything else as the param: other objects, arrays, numbers, strings, false, 0', () => {
    for (const value of [
      { param: 1, data: 'not a buffer' },
      { param: 1, data: Buffer.from([1]), extra: true },
      { param: 1 },
      { a: 1 },
      [Buffer.from([1])],
      [1, 2],
      0,
      false,
      '',
      'text',
    ]) {
      expect(toPayload(value)).toEqual({ param: value });
    }
  });
});
