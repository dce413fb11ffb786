// Building a Worker project the way `wrangler deploy` does, for Miniflare: read
// its wrangler.toml (name, main, compatibility_date, module rules), bundle
// `main` with esbuild and the conditions wrangler uses (workerd, worker,
// browser), and keep every import that a module rule matches out of the bundle
// as its own module — wrangler's default rules (CompiledWasm for *.wasm and
// *.wasm?module, Text for *.txt and *.html, Data for *.bin) after the project's
// own (a rule with fallthrough = true leaves the default rules of its type in
// place) — copied beside the bundle under a content-hashed name, as wrangler
// uploads them. `node:*` imports stay external (wrangler without nodejs_compat
// warns about them) and are reported.
//
// Only the wrangler.toml subset a Worker example needs is read: top-level
// `key = "string"` pairs and `rules = [ { type = "…", globs = ["…"], fallthrough = … }, … ]`.
import { createHash } from 'node:crypto';
import { mkdir, readFile, copyFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as esbuild from 'esbuild';

const DEFAULT_RULES = [
  { type: 'Text', globs: ['**/*.txt', '**/*.html'] },
  { type: 'Data', globs: ['**/*.bin'] },
  { type: 'CompiledWasm', globs: ['**/*.wasm', '**/*.wasm?module'] },
];

/** The wrangler.toml subset described above. */
export function parseWranglerToml(text) {
  const config = { rules: [] };
  const body = text.replace(/#[^\n"]*$/gm, '');
  for (const m of body.matchAll(/^([A-Za-z_]+)\s*=\s*"([^"]*)"\s*$/gm)) config[m[1]] = m[2];
  const rules = /^rules\s*=\s*\[([\s\S]*?)^\]/m.exec(body);
  if (rules) {
    for (const t of rules[1].matchAll(/\{([^}]*)\}/g)) {
      const type = /type\s*=\s*"([^"]+)"/.exec(t[1])?.[1];
      const globs = [.../globs\s*=\s*\[([^\]]*)\]/.exec(t[1])?.[1].matchAll(/"([^"]+)"/g) ?? []].map((g) => g[1]);
      const fallthrough = /fallthrough\s*=\s*true/.test(t[1]);
      config.rules.push({ type, globs, fallthrough });
    }
  }
  return config;
}

/** A glob (`**` any directories, `*` within a name) as a RegExp over an import path. */
function globRegExp(glob) {
  const source = glob.split(/(\*\*\/|\*|\?)/).map((part) => {
    if (part === '**/') return '(?:.*/)?';
    if (part === '*') return '[^/]*';
    return part.replace(/[.+^${}()|[\]\\?]/g, '\\$&');
  }).join('');
  return new RegExp(`(^|/)${source.replace(/^\(\?:\.\*\/\)\?/, '')}$`);
}

/** Project rules first; a type's default rules only when every project rule of that type falls through. */
export function effectiveRules(projectRules) {
  const blocked = new Set(projectRules.filter((r) => !r.fallthrough).map((r) => r.type));
  return [...projectRules, ...DEFAULT_RULES.filter((r) => !blocked.has(r.type))].map((r) => ({ ...r, patterns: r.globs.map(globRegExp) }));
}

/**
 * Bundles the project in `dir` (its wrangler.toml) into `outdir`. Returns the
 * Miniflare worker options (name, modules, compatibilityDate), the bundle's
 * source inputs, the `node:` imports found and the external modules as
 * { type, source, path }.
 */
export async function bundleWorkerProject(dir, outdir) {
  const config = parseWranglerToml(await readFile(join(dir, 'wrangler.toml'), 'utf8'));
  if (!config.main || !config.name || !config.compatibility_date) throw new Error(`wrangler.toml needs name, main and compatibility_date: ${JSON.stringify(config)}`);
  const rules = effectiveRules(config.rules);
  await mkdir(outdir, { recursive: true });
  const externals = [];
  const nodeImports = new Set();
  const modulesPlugin = {
    name: 'wrangler-module-rules',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData?.ruled) return undefined;
        if (args.path.startsWith('node:')) {
          nodeImports.add(`${args.path} (from ${basename(args.importer)})`);
          return { path: args.path, external: true };
        }
        const rule = rules.find((r) => r.patterns.some((p) => p.test(args.path)));
        if (!rule) return undefined;
        const resolved = await build.resolve(args.path.replace(/\?module$/, ''), {
          kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { ruled: true },
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const bytes = await readFile(resolved.path);
        const name = `${createHash('sha1').update(bytes).digest('hex')}-${basename(resolved.path)}`;
        await copyFile(resolved.path, join(outdir, name));
        if (!externals.some((e) => e.path === join(outdir, name))) externals.push({ type: rule.type, source: resolved.path, path: join(outdir, name) });
        return { path: `./${name}`, external: true };
      });
    },
  };
  const result = await esbuild.build({
    absWorkingDir: dir,
    entryPoints: [join(dir, config.main)],
    outfile: join(outdir, 'worker.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    plugins: [modulesPlugin],
    metafile: true,
    logLevel: 'silent',
  });
  return {
    config,
    worker: {
      name: config.name,
      compatibilityDate: config.compatibility_date,
      modulesRoot: outdir,
      modules: [{ type: 'ESModule', path: join(outdir, 'worker.js') }, ...externals.map((e) => ({ type: e.type, path: e.path }))],
    },
    externals,
    inputs: Object.keys(result.metafile.inputs).map((p) => join(dir, p)),
    nodeImports: [...nodeImports],
    outdir: dirname(join(outdir, 'worker.js')),
  };
}
