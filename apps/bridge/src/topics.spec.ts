import { prefixFromInfo, publishTopic, replyTopic, requestFilter, requestUrl } from './topics';
import { uncovered } from './vsoa-publishes';

describe('the topic map', () => {
  it('puts a publish under the prefix, URL as it is', () => {
    expect(publishTopic('vsoa/car', '/light')).toEqual({ topic: 'vsoa/car/light' });
    expect(publishTopic('vsoa/car', '/sensor/')).toEqual({ topic: 'vsoa/car/sensor/' });
  });

  it("skips URLs under the bridge's own levels, and those with MQTT wildcards", () => {
    for (const url of ['/rpc', '/rpc/light', '/reply/x', '/datagram/y', '/a/+', '/a#'])
      expect(publishTopic('p', url)).toHaveProperty('skip');
    expect(publishTopic('p', '/rpcs')).toEqual({ topic: 'p/rpcs' });
  });

  it('reads the URL of a request topic, and where its reply goes', () => {
    expect(requestUrl('vsoa/car', 'rpc', 'vsoa/car/rpc/light/front')).toBe('/light/front');
    expect(requestUrl('vsoa/car', 'datagram', 'vsoa/car/datagram')).toBe('/');
    expect(replyTopic('vsoa/car', '/light')).toBe('vsoa/car/reply/light');
    expect(requestFilter('vsoa/car', 'rpc')).toBe('vsoa/car/rpc/#');
    expect(requestFilter('vsoa/car', 'rpc', 'g')).toBe('$share/g/vsoa/car/rpc/#');
  });

  it("names the prefix after the server's info, made one topic level", () => {
    expect(prefixFromInfo({ name: 'demo' })).toBe('vsoa/demo');
    expect(prefixFromInfo('light server')).toBe('vsoa/light_server');
    expect(prefixFromInfo({ name: 'a/b+#' })).toBe('vsoa/a_b_');
    expect(prefixFromInfo({ name: '  ' })).toBeUndefined();
    expect(prefixFromInfo(undefined)).toBeUndefined();
  });

  it('subscribes once to URLs covered by a listed prefix', () => {
    expect(uncovered(['/', '/light'])).toEqual(['/']);
    expect(uncovered(['/a/', '/a', '/a/b', '/b', '/b'])).toEqual(['/a/', '/b']);
  });
});
