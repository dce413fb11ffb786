// Running a child process from a node:test file: bounded in time, output captured.
import { spawn } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(REPO, 'node_modules', '.bin');

/**
 * The environment for a child test runner: no colours (the summary is parsed),
 * no update checks or prompts, and without NODE_TEST_CONTEXT, which `node --test`
 * sets for its own children and which would change how a nested runner reports.
 */
export function childEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', ...extra };
  delete env.NODE_TEST_CONTEXT;
  delete env.FORCE_COLOR;
  return env;
}

/**
 * Runs `cmd args` and resolves with { code, signal, stdout, stderr, ms, timedOut };
 * after timeoutMs the child's process group is killed (SIGKILL) and timedOut is true.
 */
export function run(cmd, args, { cwd = REPO, env = childEnv(), timeoutMs }) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    }, timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

/** A readable account of a finished child, for assertion messages. */
export function describeRun(what, r) {
  const status = r.timedOut ? `was killed after timing out (${r.ms} ms)` : `exited with code ${r.code}${r.signal ? ` (signal ${r.signal})` : ''} after ${r.ms} ms`;
  return `${what} ${status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Test files under dir (recursively) named *.test.js / *.test.mjs, relative to the repo root. */
export function listTestFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.test\.m?js$/.test(e.name)) out.push(relative(REPO, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Runs fn(dir) in a new temporary directory (named prefix…), removed after it. */
export async function withTempDir(prefix, fn) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
