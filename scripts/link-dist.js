// Makes `require('@vsoa/core')` inside dist/libs/nestjs-vsoa resolve to the built core, the way it
// resolves when both are installed as packages: dist/node_modules/@vsoa/core points at it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Writes dist/node_modules/<name>/package.json pointing at a built library. */
function link(name, lib) {
  const dir = path.join(__dirname, '..', 'dist', 'node_modules', ...name.split('/'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, private: true, main: `../../../libs/${lib}/index.js`, types: `../../../libs/${lib}/index.d.ts` }, null, 2) +
      '\n',
  );
}

link('@vsoa/core', 'vsoa-core');
link('@vsoa/nestjs', 'nestjs-vsoa');
