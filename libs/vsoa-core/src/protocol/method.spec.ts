import { METHOD_GET, METHOD_SET, toMethod } from './method';

describe('toMethod', () => {
  it("takes 'GET' / 'SET' in any case and the seed's METHOD_GET (0) / METHOD_SET (1); GET when absent", () => {
    expect([toMethod(undefined), toMethod('get'), toMethod('Get'), toMethod(METHOD_GET), toMethod(0)]).toEqual([
      'GET',
      'GET',
      'GET',
      'GET',
      'GET',
    ]);
    expect([toMethod('set'), toMethod('SET'), toMethod(METHOD_SET), toMethod(1)]).toEqual(['SET', 'SET', 'SET', 'SET']);
  });

  it('refuses anything else with INVALID_ARGUMENT, naming what it was given', () => {
    const message = (method: unknown): string => {
      try {
        toMethod(method);
      } catch (error) {
        expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
        return (error as Error).message;
      }
      throw new Error(`toMethod(${String(method)}) did not throw`);
    };
    expect(message('PUT')).toBe(`method must be 'GET', 'SET', METHOD_GET (0) or METHOD_SET (1), not "PUT"`);
    expect(message(2)).toBe(`method must be 'GET', 'SET', METHOD_GET (0) or METHOD_SET (1), not 2`);
    // What JSON cannot show is named as a string.
    expect(message(Symbol('verb'))).toBe(`method must be 'GET', 'SET', METHOD_GET (0) or METHOD_SET (1), not Symbol(verb)`);
  });
});
