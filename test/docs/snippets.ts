import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** A ```ts block of a markdown file. */
export interface Snippet {
  /** `README.md:55`: the file and the line of the opening fence. */
  where: string;
  code: string;
}

/** The ```ts blocks of a markdown file, in order. */
export function snippetsOf(file: string, root: string): Snippet[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: Snippet[] = [];
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    if (start < 0 && /^```(ts|typescript)\s*$/.test(lines[i])) start = i;
    else if (start >= 0 && /^```\s*$/.test(lines[i])) {
      found.push({ where: `${relative(root, file)}:${start + 1}`, code: lines.slice(start + 1, i).join('\n') });
      start = -1;
    }
  }
  return found;
}

/**
 * Where a name a snippet uses without importing it comes from, first match first: the names of
 * these modules' exports are imported for it, as an editor's quick fix would.
 */
const IMPORTABLE = [
  '@vsoa/core',
  '@vsoa/nestjs',
  '@vsoa/nestjs/health',
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/microservices',
  '@nestjs/terminus',
  '@nestjs/testing',
  '@nestjs/config',
  'rxjs',
  'node:stream/promises',
  'node:stream',
  'node:fs',
  'class-validator',
];

/** Diagnostic codes of "Cannot find name 'x'" (with or without a suggestion). */
const CANNOT_FIND_NAME = new Set([2304, 2552]);

export interface SnippetError {
  where: string;
  message: string;
}

/**
 * Type-checks every snippet as an ES module of its own (so top-level `await` is allowed) under
 * `strict` and `skipLibCheck: false`,
 * against the libraries' sources. Names a snippet uses without importing are imported from the
 * modules above; names declared in `globalsFile` stand for the reader's own values (a key, a
 * connected client). Returns every remaining error.
 */
export function checkSnippets(snippets: Snippet[], root: string, globalsFile: string): SnippetError[] {
  const dir = join(root, 'test', 'docs', '.snippets');
  const files = new Map<string, { snippet: Snippet; text: string }>();
  snippets.forEach((snippet, i) => files.set(join(dir, `snippet${i}.mts`), { snippet, text: `${snippet.code}\nexport {};\n` }));

  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    skipLibCheck: false,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    noEmit: true,
    esModuleInterop: true,
    rootDir: root,
    paths: {
      // Files, not folders: ES modules do not resolve a folder to its index.
      '@vsoa/core': [join(root, 'libs/vsoa-core/src/index.ts')],
      '@vsoa/nestjs': [join(root, 'libs/nestjs-vsoa/src/index.ts')],
      '@vsoa/nestjs/*': [join(root, 'libs/nestjs-vsoa/src/*/index.ts')],
    },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (
    (exists) => (name: string) =>
      files.has(name) || exists(name)
  )(host.fileExists.bind(host));
  host.readFile = (name) => files.get(name)?.text ?? readFile(name);
  host.getSourceFile = (name, version, onError) => {
    const file = files.get(name);
    return file ? ts.createSourceFile(name, file.text, version, true) : getSourceFile(name, version, onError);
  };

  // One file importing each module, to learn their exports.
  const probe = join(dir, 'probe.mts');
  files.set(probe, { snippet: { where: 'probe', code: '' }, text: IMPORTABLE.map((m, i) => `import * as m${i} from '${m}';`).join('\n') });
  const roots = [...files.keys(), globalsFile];
  let program = ts.createProgram(roots, options, host);
  const checker = program.getTypeChecker();
  const exporter = new Map<string, string>();
  const probeFile = program.getSourceFile(probe)!;
  probeFile.statements.forEach((statement, i) => {
    const clause = (statement as ts.ImportDeclaration).importClause?.namedBindings as ts.NamespaceImport;
    const symbol = checker.getSymbolAtLocation(clause.name);
    const module = symbol && checker.getAliasedSymbol(symbol);
    for (const exported of module ? checker.getExportsOfModule(module) : []) {
      if (!exporter.has(exported.name)) exporter.set(exported.name, IMPORTABLE[i]);
    }
  });
  files.delete(probe);

  // Add the imports the compiler found missing, then check again.
  const missing = new Map<string, Set<string>>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const name = diagnostic.file?.fileName;
    if (!name || !files.has(name) || !CANNOT_FIND_NAME.has(diagnostic.code)) continue;
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const id = /name '([^']+)'/.exec(text)?.[1];
    if (id && exporter.has(id)) (missing.get(name) ?? missing.set(name, new Set()).get(name)!).add(id);
  }
  for (const [name, ids] of missing) {
    const byModule = new Map<string, string[]>();
    for (const id of ids) (byModule.get(exporter.get(id)!) ?? byModule.set(exporter.get(id)!, []).get(exporter.get(id)!)!).push(id);
    const imports = [...byModule].map(([module, names]) => `import { ${names.join(', ')} } from '${module}';`).join(' ');
    const file = files.get(name)!;
    // On the first line, so that line numbers still match the markdown.
    file.text = `${imports} ${file.text}`;
  }
  program = ts.createProgram([...files.keys(), globalsFile], options, host, program);

  const errors: SnippetError[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const name = diagnostic.file?.fileName;
    const file = name ? files.get(name) : undefined;
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!file || diagnostic.start === undefined) {
      errors.push({ where: name ? relative(root, name) : 'compiler', message: text });
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    const [doc, fence] = file.snippet.where.split(':');
    errors.push({ where: `${doc}:${Number(fence) + 1 + line}`, message: text });
  }
  return errors;
}
