import { parseVsoaUrl } from './vsoa-url';

describe('parseVsoaUrl', () => {
  it('splits vsoa://host:port/path', () => {
    expect(parseVsoaUrl('vsoa://10.0.0.1:3000/a/b')).toEqual({ host: '10.0.0.1', port: 3000, path: '/a/b' });
    expect(parseVsoaUrl('vsoa://name')).toEqual({ host: 'name', port: 0, path: '/' });
    expect(parseVsoaUrl('vsoa://name:1/')).toEqual({ host: 'name', port: 1, path: '/' });
  });

  it('takes an IPv6 host out of its brackets', () => {
    expect(parseVsoaUrl('vsoa://[::1]:3000/x')).toEqual({ host: '::1', port: 3000, path: '/x' });
    expect(parseVsoaUrl('vsoa://[fd00::2]')).toMatchObject({ host: 'fd00::2', port: 0 });
  });

  it('decodes the path', () => {
    expect(parseVsoaUrl('vsoa://h:1/a%20b').path).toBe('/a b');
  });

  it('refuses what is not a URL, and a URL that is not vsoa://host', () => {
    expect(() => parseVsoaUrl('not a url')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'not a URL: "not a url"' }),
    );
    expect(() => parseVsoaUrl('http://h:1')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'expected vsoa://host:port, got "http://h:1"' }),
    );
    expect(() => parseVsoaUrl('vsoa:/path')).toThrow(expect.objectContaining({ message: 'expected vsoa://host:port, got "vsoa:/path"' }));
  });
});
