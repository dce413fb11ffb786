// Prints the seeded training run (train-case.js) as JSON: run by Deno and Bun
// from tests/runtimes/determinism.test.js.
import * as mt from '../../../dist/index.js';
import { runTraining } from './train-case.js';

await mt.init();
console.log(JSON.stringify(runTraining(mt)));
