#!/usr/bin/env node
// The `cauri` command: runs the compiled CLI (`npm ci` builds it, as does `npm run build`).
import('../dist/src/cli/main.js').catch((error) => {
  process.stderr.write(`cauri: cannot load the CLI (${error.message}); run \`npm run build\` first\n`);
  process.exit(1);
});
