// Workers in real workerd (Miniflare), each built from a project directory as
// `wrangler deploy` builds it (tests/runtimes/helpers/wrangler-bundle.js reads
// its wrangler.toml).
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { bundleWorkerProject } from '../../runtimes/helpers/wrangler-bundle.js';

/**
 * Bundles each `{ name: projectDir }`, starts them in one Miniflare, calls
 * `use({ fetch(name, request), bundles })`, and always disposes of workerd.
 * Fetch results are { status, text } with workerd's output appended on failure.
 */
export async function withWorkers(projects, outRoot, use) {
  const bundles = {};
  for (const [name, dir] of Object.entries(projects)) bundles[name] = await bundleWorkerProject(dir, join(outRoot, `out-${name}`));
  let output = '';
  const mf = new Miniflare({
    port: 0,
    cf: false,
    handleRuntimeStdio(stdout, stderr) {
      stdout.setEncoding('utf8').on('data', (d) => { output += d; });
      stderr.setEncoding('utf8').on('data', (d) => { output += d; });
    },
    workers: Object.values(bundles).map((b) => b.worker),
  });
  try {
    await mf.ready;
    const fetch = async (name, request = {}) => {
      const worker = await mf.getWorker(bundles[name].config.name);
      const res = await worker.fetch(request.url ?? 'http://localhost/', request);
      const text = await res.text();
      return { status: res.status, text, context: `worker "${name}" answered HTTP ${res.status}: ${text.slice(0, 2000)}\nworkerd output:\n${output}` };
    };
    return await use({ fetch, bundles });
  } finally {
    await mf.dispose();
  }
}
