#!/usr/bin/env node
// The `manytask` command (package.json "bin").
import { main } from './cli.js';

// `manytask predict … | head`: the reader went away; that is the end of the output, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
