#!/usr/bin/env node
// elfuse command entry: the compiled CLI lives in dist/ (built by `npm install`).
import('../dist/app/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('elfuse: not built yet: run `npm install` (or `npm run build`) in the elfuse directory\n');
    process.exit(125);
  }
  throw err;
});
