// Makes `require('@vsoa/core')` inside dist/libs/nestjs-vsoa resolve to the built core, the way it
// resolves when both are installed as packages: dist/node_modules/@vsoa/core points at it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'dist', 'node_modules', '@vsoa', 'core');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(
  path.join(dir, 'package.json'),
  JSON.stringify(
    { name: '@vsoa/core', private: true, main: '../../../libs/vsoa-core/index.js', types: '../../../libs/vsoa-core/index.d.ts' },
    null,
    2,
  ) + '\n',
);
