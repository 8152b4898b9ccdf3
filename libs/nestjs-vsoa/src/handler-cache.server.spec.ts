import { VsoaServerStrategy } from './vsoa.server';

// The strategies look a handler up once per pattern; a handler added later must still be found.
describe('handler lookup of the strategies', () => {
  it('finds a handler added after the pattern was looked up and missed', async () => {
    const strategy = new VsoaServerStrategy();
    expect(strategy.getHandlerByPattern('/late')).toBeNull();
    const handler = async (): Promise<string> => 'late';
    strategy.addHandler('/late', handler, false);
    const found = strategy.getHandlerByPattern('/late');
    expect(found).not.toBeNull();
    expect(await found!({}, undefined)).toBe('late');
    expect(strategy.getHandlerByPattern('/late')).toBe(found);
    expect(strategy.getHandlerByPattern('/other')).toBeNull();
  });
});
