// node local.mjs [--port 8787] [--page-port 8788]
// The coordinator Worker (src/worker.js) on this machine, without wrangler: real
// workerd through Miniflare (both are devDependencies of the manytask
// repository), with the Durable Object, the R2 bucket and alarms of
// wrangler.toml persisted under .state/, on 127.0.0.1 only. The deployment's
// secret is FEDERATED_SECRET from .dev.vars (written here on first run, where
// `wrangler dev` reads it too). It also serves the browser client (client/) and
// the manytask build it imports on --page-port. Ctrl-C stops both.
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { Miniflare } from 'miniflare';
import { deploymentSecret } from './secret.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const { values: args } = parseArgs({ options: { port: { type: 'string', default: '8787' }, 'page-port': { type: 'string', default: '8788' } } });

/** `manytask/…` as the package's exports map says for a Worker (here: this repository's dist/). */
const manytaskFromRepo = {
  name: 'manytask-from-this-repository',
  setup(build) {
    build.onResolve({ filter: /^manytask(\/|$)/ }, async (a) => {
      const exports = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).exports;
      const entry = exports[`.${a.path.slice('manytask'.length)}`];
      const target = typeof entry === 'string' ? entry : entry?.workerd ?? entry?.default;
      if (!target) return { errors: [{ text: `manytask has no export ${a.path}` }] };
      return { path: join(REPO, target) };
    });
  },
};

if (!existsSync(join(REPO, 'dist', 'federated-coordinator.js'))) {
  console.error('dist/ is not built: run `npm run build` in the repository root first');
  process.exit(1);
}
const outdir = join(HERE, '.state', 'build');
await mkdir(outdir, { recursive: true });
await esbuild.build({
  entryPoints: [join(HERE, 'src', 'worker.js')], outfile: join(outdir, 'worker.js'), bundle: true, format: 'esm',
  platform: 'neutral', target: 'es2022', conditions: ['workerd', 'worker', 'browser'], plugins: [manytaskFromRepo], logLevel: 'error',
});
const wrangler = await readFile(join(HERE, 'wrangler.toml'), 'utf8');
const mf = new Miniflare({
  host: '127.0.0.1',
  port: Number(args.port),
  defaultPersistRoot: join(HERE, '.state'),
  cf: false,
  compatibilityDate: /^compatibility_date\s*=\s*"([^"]+)"/m.exec(wrangler)[1],
  modules: [{ type: 'ESModule', path: join(outdir, 'worker.js') }],
  modulesRoot: outdir,
  durableObjects: { COORDINATOR: { className: 'Coordinator', useSQLite: true } },
  r2Buckets: ['FEDERATED_BUCKET'],
  bindings: { FEDERATED_SECRET: await deploymentSecret(), ALLOWED_ORIGINS: '*' },
});
const url = await mf.ready;

// The browser client: client/, the build of manytask it imports, the data.
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.csv': 'text/csv', '.css': 'text/css' };
const ROOTS = { '/manytask/': join(REPO, 'dist'), '/data/': join(REPO, 'examples', 'data'), '/shared/': HERE, '/': join(HERE, 'client') };
const page = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const [prefix, root] = Object.entries(ROOTS).find(([p]) => path.startsWith(p));
  const file = normalize(join(root, path.slice(prefix.length) || 'index.html'));
  try {
    if (!file.startsWith(root) || (prefix === '/shared/' && extname(file) !== '.mjs')) throw new Error('outside');
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
await new Promise((resolve) => page.listen(Number(args['page-port']), '127.0.0.1', resolve));

console.log(`coordinator: ${url.href}federations/<name>/  (state in .state/, secret in .dev.vars)`);
console.log(`browser client: http://127.0.0.1:${page.address().port}/`);
const stop = async () => { page.close(); await mf.dispose(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
