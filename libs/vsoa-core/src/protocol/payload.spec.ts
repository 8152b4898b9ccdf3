import { BAD_PARAM, decodeParam, MAX_PARAM_DEPTH } from './payload';

describe('decodeParam', () => {
  it('refuses params nested deeper than MAX_PARAM_DEPTH without parsing them', () => {
    const deep = Buffer.from('['.repeat(262_116));
    expect(decodeParam(deep, false)).toBe(BAD_PARAM);
    const balanced = Buffer.from('['.repeat(MAX_PARAM_DEPTH + 1) + ']'.repeat(MAX_PARAM_DEPTH + 1));
    expect(decodeParam(balanced, false)).toBe(BAD_PARAM);
  });

  it('accepts nesting up to the limit, and brackets inside strings (escaped quotes included)', () => {
    const atLimit = '['.repeat(MAX_PARAM_DEPTH) + ']'.repeat(MAX_PARAM_DEPTH);
    expect(decodeParam(Buffer.from(atLimit), false)).toEqual(JSON.parse(atLimit));
    const text = `{"s":"\\"${'['.repeat(2000)}","n":1}`;
    expect(decodeParam(Buffer.from(text), false)).toEqual({ s: `"${'['.repeat(2000)}`, n: 1 });
  });

  it('leaves raw params alone', () => {
    expect(decodeParam(Buffer.from('['.repeat(1000)), true)).toBe('['.repeat(1000));
  });
});
