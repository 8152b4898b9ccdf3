// Makes the built libraries publishable: writes dist/libs/<lib>/package.json for @vsoa/core and
// @vsoa/nestjs (run after `npm run build`; then `npm pack` or `npm publish` in that directory).
// dist/node_modules/@vsoa/* (scripts/link-dist.js) stay as they are: they point at the same files.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const version = rootPkg.version;
const nestRange = '^11.0.0 || ^12.0.0';

/** One entry of `exports`: the CommonJS file and its declarations. */
const entry = (dir) => ({ types: `./${dir}index.d.ts`, default: `./${dir}index.js` });

const common = {
  version,
  license: rootPkg.license,
  engines: { node: '>=20' },
  main: './index.js',
  types: './index.d.ts',
  files: ['**/*.js', '**/*.d.ts'],
  keywords: ['vsoa', 'acoinfo', 'soa', 'rpc', 'pubsub', 'vehicle'],
};

const libs = [
  {
    dir: 'vsoa-core',
    pkg: {
      name: '@vsoa/core',
      description: 'VSOA (Vehicle SOA) protocol in pure TypeScript: server, client, streams, TLS, position service',
      ...common,
      exports: { '.': entry(''), './package.json': './package.json' },
    },
  },
  {
    dir: 'nestjs-vsoa',
    pkg: {
      name: '@vsoa/nestjs',
      description: 'VSOA transport for NestJS: server strategy, ClientVsoa, publisher, work queues, Terminus health indicator',
      ...common,
      keywords: [...common.keywords, 'nestjs', 'microservices', 'transport'],
      exports: { '.': entry(''), './health': entry('health/'), './package.json': './package.json' },
      dependencies: { '@vsoa/core': version },
      peerDependencies: {
        '@nestjs/common': nestRange,
        '@nestjs/core': nestRange,
        '@nestjs/microservices': nestRange,
        '@nestjs/terminus': nestRange,
        'reflect-metadata': '^0.1.12 || ^0.2.0',
        rxjs: '^7.1.0',
      },
      // Only `@vsoa/nestjs/health` loads Terminus.
      peerDependenciesMeta: { '@nestjs/terminus': { optional: true } },
    },
  },
];

for (const { dir, pkg } of libs) {
  const out = path.join(root, 'dist', 'libs', dir);
  if (!fs.existsSync(path.join(out, 'index.js'))) {
    console.error(`pack-libs: ${path.relative(root, out)}/index.js missing; run \`npm run build\` first`);
    process.exit(1);
  }
  const stale = staleFiles(out, path.join(root, 'libs', dir, 'src'));
  if (stale.length > 0) {
    console.error(`pack-libs: ${stale.join(', ')} in ${path.relative(root, out)} match no source; rm -rf dist/libs && npm run build`);
    process.exit(1);
  }
  fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  console.log(`pack-libs: ${pkg.name}@${version} -> ${path.relative(root, out)}/package.json`);
}

/** Built .js files whose .ts source is gone (left by an earlier build): they must not ship. */
function staleFiles(out, src, rel = '') {
  const found = [];
  for (const item of fs.readdirSync(path.join(out, rel), { withFileTypes: true })) {
    const name = path.join(rel, item.name);
    if (item.isDirectory()) found.push(...staleFiles(out, src, name));
    else if (name.endsWith('.js') && !fs.existsSync(path.join(src, name.replace(/\.js$/, '.ts')))) found.push(name);
  }
  return found;
}
