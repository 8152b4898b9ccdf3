import { join } from 'node:path';
import { checkSnippets, snippetsOf } from './snippets';

const root = join(__dirname, '..', '..');

describe('the TypeScript in the README and the docs', () => {
  it('compiles under strict, with library checks on', () => {
    const snippets = [
      'README.md',
      'docs/guide.md',
      'docs/porting-from-python.md',
      'docs/observability.md',
      'docs/deploy.md',
      'docs/bridge.md',
      'docs/explorer.md',
    ].flatMap((file) => snippetsOf(join(root, file), root));
    expect(snippets.length).toBeGreaterThan(10);
    const errors = checkSnippets(snippets, root, join(__dirname, 'snippet-globals.d.ts'));
    expect(errors.map(({ where, message }) => `${where}: ${message}`)).toEqual([]);
  }, 120_000);
});
