// npm run serve:browser — serves the browser example on 127.0.0.1.
//
// Serves the repository's dist/ (the library: dist/web.js, dist/manytask.wasm)
// and examples/ (the page, examples/browser/, and its data, examples/data/),
// nothing else. `/` redirects to the page. `.wasm` goes out as application/wasm
// (what WebAssembly.compileStreaming needs) and every response carries
// COOP/COEP, so the page is cross-origin isolated.
//
//   PORT=9000 npm run serve:browser      (default 8080; PORT=0 picks a free one)
//
// The test (tests/runtimes/browser-example.test.js) imports startServer from here.
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, sep, extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
export const PAGE = '/examples/browser/';
const ROOTS = ['dist', 'examples'];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/** The file a URL path names, or null when it is outside dist/ and examples/. */
function resolvePath(pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = normalize(join(REPO, decoded));
  const inside = ROOTS.some((r) => file.startsWith(join(REPO, r) + sep));
  if (!inside) return null;
  return decoded.endsWith('/') ? join(file, 'index.html') : file;
}

/**
 * Starts the server; resolves with { server, url } once it listens.
 * `onRequest({ method, path, status, type })` sees every request (the test logs them).
 */
export function startServer({ port = 8080, host = '127.0.0.1', onRequest } = {}) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let status = 404;
    let body = `not found: ${path}\n`;
    let type = 'text/plain; charset=utf-8';
    const extra = {};
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      status = 405;
      body = 'GET and HEAD only\n';
      extra.Allow = 'GET, HEAD';
    } else if (path === '/' || path === '/examples/browser') {
      status = 302;
      body = '';
      extra.Location = PAGE;
    } else {
      const file = resolvePath(path);
      if (file !== null) {
        try {
          if ((await stat(file)).isFile()) {
            body = await readFile(file);
            status = 200;
            type = TYPES[extname(file)] ?? 'application/octet-stream';
          }
        } catch {
          // 404
        }
      }
    }
    onRequest?.({ method: req.method, path, status, type });
    res.writeHead(status, { ...HEADERS, ...extra, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve({ server, url: `http://${host}:${a.port}${PAGE}` });
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!existsSync(join(REPO, 'dist', 'web.js')) || !existsSync(join(REPO, 'dist', 'manytask.wasm'))) {
    console.error('dist/web.js or dist/manytask.wasm is missing: run `npm run build` first.');
    process.exit(1);
  }
  const raw = process.env.PORT ?? '8080';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number (0-65535), got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  try {
    const { url } = await startServer({ port });
    console.log(`manytask browser example: ${url}`);
    console.log('serving dist/ and examples/ from the repository on 127.0.0.1 only; Ctrl-C stops it');
  } catch (err) {
    console.error(err.code === 'EADDRINUSE' ? `port ${port} is in use: try PORT=${port + 1} npm run serve:browser` : String(err));
    process.exit(1);
  }
}
