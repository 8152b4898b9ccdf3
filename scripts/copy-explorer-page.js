// Copies the explorer's page (HTML, CSS, browser JavaScript: not compiled) next to the built CLI,
// where `vsoa ui` serves it from.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
fs.cpSync(path.join(root, 'apps/cli/src/explorer/page'), path.join(root, 'dist/apps/cli/explorer/page'), { recursive: true });
