// The deployment's secret, which signs every token: FEDERATED_SECRET in .dev.vars
// (where `wrangler dev` reads it too), made on first use. For a deployment, put
// it with `npx wrangler secret put FEDERATED_SECRET` and keep it out of git.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

const FILE = new URL('./.dev.vars', import.meta.url);

export async function deploymentSecret() {
  if (process.env.FEDERATED_SECRET) return process.env.FEDERATED_SECRET;
  const text = existsSync(FILE) ? await readFile(FILE, 'utf8') : '';
  const found = /^FEDERATED_SECRET\s*=\s*"?([^"\n]+)"?\s*$/m.exec(text)?.[1];
  if (found) return found;
  const secret = randomBytes(32).toString('base64url');
  await writeFile(FILE, `${text}${text && !text.endsWith('\n') ? '\n' : ''}FEDERATED_SECRET=${secret}\n`);
  return secret;
}
