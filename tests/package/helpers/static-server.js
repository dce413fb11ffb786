// A static file server on 127.0.0.1 for pages in Chromium: serves `root`, with
// .wasm as application/wasm, cross-origin isolated (COOP/COEP), and logs every
// request ({ path, status }) so that a test can say what was fetched.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.csv': 'text/csv; charset=utf-8',
};

export async function serveStatic(root) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    let status = 404, body = `not found: ${path}`, type = 'text/plain; charset=utf-8';
    if (req.method === 'GET' && (file + sep).startsWith(root + sep)) {
      try {
        body = await readFile(file);
        status = 200;
        type = TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream';
      } catch { /* 404 */ }
    }
    requests.push({ path, status });
    res.writeHead(status, { 'Content-Type': type, 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' });
    res.end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Opens `url` in a new page of `browser` and waits for the page to set
 * `window.__result`; returns it with the page errors and failed requests seen.
 */
export async function pageResult(browser, url, timeoutMs = 60_000) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`); });
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
  try {
    await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: timeoutMs });
    return { result: await page.evaluate(() => window.__result), problems };
  } catch (err) {
    return { result: { error: String(err?.stack ?? err) }, problems };
  } finally {
    await page.close();
  }
}
