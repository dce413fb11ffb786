// npm run bench -- coldstart: a fresh workerd (Miniflare) → the first /predict of
// examples/worker, against a minimal Worker (examples/worker/cold-start.mjs).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

export async function benchColdstart({ quick = false } = {}) {
  const script = fileURLToPath(new URL('../examples/worker/cold-start.mjs', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [script, '--runs', quick ? '3' : '11'], { timeout: 300_000 });
  const text = stdout.trim();
  console.log(`\n${text}`);
  const share = /manytask's share[^:]*: ([\d.]+) ms/.exec(text);
  return { results: { manytaskShareMs: share ? Number(share[1]) : NaN }, text };
}
