// `npm run pack:libs` (after `npm run build`): packs the built libraries into installable tarballs,
// dist/packages/vsoa-core-<version>.tgz and dist/packages/vsoa-nestjs-<version>.tgz. Each
// library's manifest is libs/<lib>/package.json (its name, version, dependencies and exports, with
// paths as they are in the built directory); it is copied beside the build and packed from there.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist', 'packages');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const LIBS = ['vsoa-core', 'nestjs-vsoa'];

function fail(message) {
  console.error(`pack-libs: ${message}`);
  process.exit(1);
}

const manifests = Object.fromEntries(
  LIBS.map((lib) => [lib, JSON.parse(fs.readFileSync(path.join(root, 'libs', lib, 'package.json'), 'utf8'))]),
);
// @vsoa/nestjs must depend on exactly the @vsoa/core packed beside it.
const core = manifests['vsoa-core'];
const wanted = manifests['nestjs-vsoa'].dependencies?.[core.name];
if (wanted !== core.version) fail(`libs/nestjs-vsoa/package.json wants ${core.name} ${wanted}, libs/vsoa-core is ${core.version}`);

fs.mkdirSync(out, { recursive: true });
for (const lib of LIBS) {
  const built = path.join(root, 'dist', 'libs', lib);
  if (!fs.existsSync(path.join(built, 'index.js'))) fail(`${path.relative(root, built)}/index.js missing; run \`npm run build\` first`);
  const stale = staleFiles(built, path.join(root, 'libs', lib, 'src'));
  if (stale.length > 0) fail(`${stale.join(', ')} in ${path.relative(root, built)} match no source; rm -rf dist/libs && npm run build`);
  fs.copyFileSync(path.join(root, 'libs', lib, 'package.json'), path.join(built, 'package.json'));
  const tarball = execFileSync(npm, ['pack', '--silent', '--pack-destination', out], { cwd: built, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop();
  console.log(`pack-libs: ${manifests[lib].name}@${manifests[lib].version} -> ${path.relative(root, path.join(out, tarball))}`);
}

/** Built .js files whose .ts source is gone (left by an earlier build): they must not ship. */
function staleFiles(built, src, rel = '') {
  const found = [];
  for (const item of fs.readdirSync(path.join(built, rel), { withFileTypes: true })) {
    const name = path.join(rel, item.name);
    if (item.isDirectory()) found.push(...staleFiles(built, src, name));
    else if (name.endsWith('.js') && !fs.existsSync(path.join(src, name.replace(/\.js$/, '.ts')))) found.push(name);
  }
  return found;
}
