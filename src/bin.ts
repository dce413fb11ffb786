#!/usr/bin/env node
// The `manytask` command (package.json "bin").
import { main } from './cli.js';

// `manytask train … | head`: the reader went away. That ends the output, not the work: the model
// is still trained and saved (exiting here, mid-save, left an empty model file in place of the old
// one), and the exit code says whether the command did what it was asked, as it does without a pipe.
// A failed write stops the stream; later writes (console.log included) are dropped, not thrown.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

process.exitCode = await main(process.argv.slice(2));
