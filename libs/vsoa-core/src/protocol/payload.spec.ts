import { BAD_PARAM, decodeParam, decodePayload, encodeParam, MAX_PARAM_DEPTH } from './payload';

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

  it('refuses objects nested too deep, as it does arrays', () => {
    const depth = MAX_PARAM_DEPTH + 1;
    const deepObject = '{"a":'.repeat(depth) + 'null' + '}'.repeat(depth);
    expect(decodeParam(Buffer.from(deepObject), false)).toBe(BAD_PARAM);
  });

  it('still counts the nesting that follows a string', () => {
    const depth = MAX_PARAM_DEPTH + 1;
    for (const before of ['"a"', '"ab"', '"a\\"b"']) {
      const text = `{"s":${before},"d":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      expect(decodeParam(Buffer.from(text), false)).toBe(BAD_PARAM);
    }
  });

  it('accepts wide params however many sibling arrays and objects they hold', () => {
    const arrays = '[' + '[],'.repeat(MAX_PARAM_DEPTH + 50) + '[]]';
    expect(decodeParam(Buffer.from(arrays), false)).toHaveLength(MAX_PARAM_DEPTH + 51);
    const objects = '[' + '{},'.repeat(MAX_PARAM_DEPTH + 50) + '{}]';
    expect(decodeParam(Buffer.from(objects), false)).toHaveLength(MAX_PARAM_DEPTH + 51);
  });

  it('leaves raw params alone', () => {
    expect(decodeParam(Buffer.from('['.repeat(1000)), true)).toBe('['.repeat(1000));
  });
});

describe('encodeParam', () => {
  it('sends JSON, a Buffer as its bytes, a raw string as its text, and nothing for what JSON cannot hold', () => {
    expect(encodeParam({ a: 1 }, false).toString()).toBe('{"a":1}');
    expect(encodeParam('x', false).toString()).toBe('"x"');
    expect(encodeParam('x', true).toString()).toBe('x');
    expect(encodeParam(Buffer.from([1, 2]), false)).toEqual(Buffer.from([1, 2]));
    expect(encodeParam(undefined, false)).toHaveLength(0);
    expect(encodeParam(() => 1, false)).toHaveLength(0);
    expect(encodeParam(Symbol('s'), false)).toHaveLength(0);
  });
});

describe('decodePayload', () => {
  it('has a param key only when a param came, and a data key only when data came', () => {
    expect(Object.keys(decodePayload(Buffer.alloc(0), Buffer.from([1]), false))).toEqual(['data']);
    expect(Object.keys(decodePayload(Buffer.from('1'), Buffer.alloc(0), false))).toEqual(['param']);
    expect(decodePayload(Buffer.from('{'), Buffer.alloc(0), false)).toBe(BAD_PARAM);
  });
});
