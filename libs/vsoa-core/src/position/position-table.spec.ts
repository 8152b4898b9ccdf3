import { answerQuery, parsePositionTable } from './position-table';

const V4 = { name: 'svc', addr: '10.0.0.1', port: 1, domain: 2, security: false };
const V6 = { name: 'svc', addr: '::1', port: 2, domain: 10, security: false };

describe('parsePositionTable', () => {
  it('keeps one entry per name and family: a later one of the same family replaces the earlier', () => {
    const table = parsePositionTable(
      JSON.stringify({
        svc: [
          { addr: '10.0.0.1', port: 1 },
          { addr: '::1', port: 2 },
          { addr: '10.0.0.3', port: 3 },
        ],
      }),
      'inline',
    );
    expect(table.get('svc')).toEqual([V6, { ...V4, addr: '10.0.0.3', port: 3 }]);
  });

  it('merges entries of one name given in any case, under the lower-cased name', () => {
    const table = parsePositionTable(
      JSON.stringify([
        { name: 'Svc', addr: '10.0.0.1', port: 1 },
        { name: 'SVC', addr: '::1', port: 2 },
      ]),
      'list',
    );
    expect([...table.keys()]).toEqual(['svc']);
    expect(table.get('svc')).toEqual([
      { ...V4, name: 'Svc' },
      { ...V6, name: 'SVC' },
    ]);
  });

  it('names the bad entry of a list by its name, and refuses an entry without a name', () => {
    expect(() => parsePositionTable('[{"name":"cam","addr":"10.0.0.1","port":0}]', 'l.json')).toThrow(
      new Error('l.json: entry "cam": bad port 0'),
    );
    expect(() => parsePositionTable('[{"addr":"10.0.0.1","port":1}]', 'l.json')).toThrow(new Error('l.json: entry "": bad name'));
    expect(() => parsePositionTable('[null]', 'l.json')).toThrow(new Error('l.json: entry "": not an object'));
  });

  it('says what it expected, and keeps the JSON error as the cause', () => {
    expect(() => parsePositionTable('null', 't.json')).toThrow(new Error('t.json: expected an object of names or a list of entries'));
    let error: unknown;
    try {
      parsePositionTable('{"a":', 't.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^t\.json: not JSON \(.+\)$/);
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });
});

describe('answerQuery', () => {
  const table = parsePositionTable(
    JSON.stringify({
      svc: [
        { addr: '::1', port: 2 },
        { addr: '10.0.0.1', port: 1 },
      ],
      v4only: { addr: '10.0.0.1', port: 1 },
    }),
    't',
  );

  it('answers the first entry without a domain, else the one of the domain asked for', () => {
    expect(answerQuery(table, { name: 'SVC' })).toEqual(V6);
    expect(answerQuery(table, { name: 'svc', domain: 2 })).toEqual(V4);
    expect(answerQuery(table, { name: 'svc', domain: 10 })).toEqual(V6);
  });

  it('answers null for an unknown name or a family it has no entry of', () => {
    expect(answerQuery(table, { name: 'nope' })).toBeNull();
    expect(answerQuery(table, { name: 'v4only', domain: 10 })).toBeNull();
  });

  it("reads the seed's -1 (or any number naming no family) as any family, as PositionServer does", () => {
    expect(answerQuery(table, { name: 'svc', domain: -1 })).toEqual(V6);
    expect(answerQuery(table, { name: 'v4only', domain: -1 })).toEqual({ ...V4, name: 'v4only' });
  });
});
