import { decodeMessage, encodeMessage, ENVELOPE_CONTENT_TYPE, parseRpcRequest } from './mqtt-payload';

describe('MQTT payloads', () => {
  it('are the JSON param, or an envelope with base64 data, both ways', () => {
    const plain = encodeMessage({ param: { on: true } });
    expect(plain.payload.toString()).toBe('{"on":true}');
    expect(decodeMessage(plain.payload, plain.contentType)).toEqual({ param: { on: true } });
    const withData = encodeMessage({ param: 1, data: Buffer.from('hi') });
    expect(withData.contentType).toBe(ENVELOPE_CONTENT_TYPE);
    expect(JSON.parse(withData.payload.toString())).toEqual({ param: 1, data: 'aGk=' });
    expect(decodeMessage(withData.payload, withData.contentType)).toEqual({ param: 1, data: Buffer.from('hi') });
    expect(encodeMessage({}).payload.toString()).toBe('null');
  });

  it('read a request: GET by default, method in any case, an empty payload a GET', () => {
    expect(parseRpcRequest(Buffer.alloc(0))).toEqual({ method: 'GET', payload: {} });
    expect(parseRpcRequest(Buffer.from('{"method":"set","param":[1],"id":"x"}'))).toEqual({
      method: 'SET',
      payload: { param: [1] },
      id: 'x',
    });
  });

  it.each([
    ['[1]', /JSON object/],
    ['{"method":"POST"}', /neither GET nor SET/],
    ['{"data":"%%%"}', /base64/],
    ['{"id":{}}', /id/],
    ['{', /not JSON/],
  ])('refuse %s with the reason', (text, message) => {
    expect(() => parseRpcRequest(Buffer.from(text))).toThrow(message);
  });
});
