import { parseProxy } from './config';

describe("the demo's VSOA_PROXY", () => {
  it('is absent when unset or empty', () => {
    expect(parseProxy(undefined)).toBeUndefined();
    expect(parseProxy('')).toBeUndefined();
  });

  it('maps prefixes to upstream URLs', () => {
    expect(parseProxy('{"/car":"vsoa://127.0.0.1:3006","/cam":"vsoa://camera"}')).toEqual({
      '/car': 'vsoa://127.0.0.1:3006',
      '/cam': 'vsoa://camera',
    });
  });

  it('says when it is not JSON, keeping the parser message as the cause', () => {
    let thrown: unknown;
    try {
      parseProxy('{"/car":');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toMatch(/^VSOA_PROXY is not JSON: /);
    expect((thrown as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses JSON that is not a map of strings, with an example', () => {
    for (const text of ['null', '42', '["vsoa://x"]', '"vsoa://x"', '{"/car":3006}', '{"/car":{"url":"vsoa://x"}}']) {
      expect(() => parseProxy(text)).toThrow('VSOA_PROXY must map prefixes to vsoa:// URLs, e.g. {"/car":"vsoa://127.0.0.1:3006"}');
    }
  });
});
