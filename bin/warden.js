#!/usr/bin/env node
// The `warden` command: runs the compiled CLI (npm ci builds it; `npm run build` after changing the code).

const fs = require('node:fs');
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('warden: not built yet; run `npm run build` (npm ci and npm start do it for you)\n');
  process.exit(1);
}
require(entry).main(process.argv);
