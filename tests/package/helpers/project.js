// The package as a user gets it: `npm pack`, then `npm install` of the tarball
// into a fresh project in a temp directory. Tools the checks need (TypeScript,
// esbuild, Vite, Deno, Bun, workerd) come from this repository's node_modules,
// so nothing but the tarball is installed and nothing reaches the network.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run, describeRun, childEnv } from '../../runtimes/helpers/process.js';

export { REPO };
export const BIN = join(REPO, 'node_modules', '.bin');
const PACKED = join(REPO, 'build', 'package');

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(path).map((f) => newest(join(path, f))));
}

/**
 * The tarball `npm pack` makes of the built package, and npm's account of it
 * ({ size, unpackedSize, entryCount, files }). Packed again when dist/,
 * docs/, package.json, README.md or LICENSE changed since the last pack (build/package/).
 */
export async function tarball() {
  const { version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'));
  const file = join(PACKED, `manytask-${version}.tgz`);
  const report = join(PACKED, 'pack.json');
  const inputs = ['dist', 'docs', 'package.json', 'README.md', 'LICENSE'].map((p) => join(REPO, p));
  if (!existsSync(join(REPO, 'dist', 'manytask.wasm'))) throw new Error('dist/ is not built: run `npm run build` first');
  if (!existsSync(file) || !existsSync(report) || statSync(file).mtimeMs < Math.max(...inputs.map(newest))) {
    // Packed into a directory of its own, then moved in place: test files that run at once never see half a tarball.
    await mkdir(PACKED, { recursive: true });
    const scratch = await mkdtemp(join(PACKED, 'pack-'));
    try {
      const r = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: REPO, timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(describeRun('npm pack', r));
      await writeFile(join(scratch, 'pack.json'), JSON.stringify(JSON.parse(r.stdout)[0]));
      await rename(join(scratch, `manytask-${version}.tgz`), file);
      await rename(join(scratch, 'pack.json'), report);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return { file, ...JSON.parse(await readFile(report, 'utf8')) };
}

/**
 * A fresh project in a temp directory with manytask installed from the tarball
 * (`npm install <tarball> --offline`), `package.json` fields from `pkg`, and
 * `files` ({ relative path: text }) written in it. `link` names packages of this
 * repository's node_modules to symlink into the project (e.g. '@types/node').
 * Returns { dir, pack, cleanup }.
 */
export async function consumerProject({ pkg = {}, files = {}, link = [] } = {}) {
  const pack = await tarball();
  const dir = await mkdtemp(join(tmpdir(), 'manytask-consumer-'));
  try {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', ...pkg }, null, 2));
    const r = await run('npm', ['install', pack.file, '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts'], {
      cwd: dir, timeoutMs: 120_000, env: childEnv({ npm_config_update_notifier: 'false' }),
    });
    if (r.code !== 0) throw new Error(describeRun('npm install <tarball> --offline', r));
    for (const name of link) {
      const target = join(dir, 'node_modules', name);
      await mkdir(join(target, '..'), { recursive: true });
      await symlink(join(REPO, 'node_modules', name), target, 'dir');
    }
    await writeFiles(dir, files);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, pack, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes { relative path: text } under dir, making directories as needed. */
export async function writeFiles(dir, files) {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** Runs a command in the project; throws with its output unless it exits 0 in time. Returns { stdout, stderr, ms }. */
export async function mustRun(what, cmd, args, { cwd, timeoutMs = 120_000, env } = {}) {
  const r = await run(cmd, args, { cwd, timeoutMs, ...(env ? { env } : {}) });
  if (r.code !== 0 || r.timedOut) throw new Error(describeRun(what, r));
  return r;
}
