#!/usr/bin/env node
// The bundled CLI (scripts/bundle-cli.mjs); `npm run build` produces it.
import { main } from '../dist/bin/main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
