/**
 * The built extension for the browser suite: WXT's own production build (the
 * root `wxt.config.ts`), made once per source state and shared by every test
 * file (a content hash names the folder; `flock` keeps parallel files from
 * building twice), then copied with one change to its manifest.
 *
 * The one change: `http://127.0.0.1/*` is added to `host_permissions`. A person
 * grants that origin through Chrome's permission prompt (options: relay URL;
 * panel: "Allow this site"), which is an `optional_host_permissions` entry the
 * extension already declares; automation cannot click that prompt, so the test
 * copy is installed with the grant already given. Nothing else differs.
 * `site-access.test.ts` loads the build itself, without that grant (see
 * {@link testExtension}'s `preGranted`), and goes through the real request path.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../../enclave/test/support/enclave-process';

export const TEST_ORIGIN_GRANT = 'http://127.0.0.1/*';

const INPUTS = [
  'package-lock.json',
  'wxt.config.ts',
  'extension/src',
  'extension/entrypoints',
  'extension/locales',
  'extension/package.json',
  'protocol/src',
];

function listFiles(path: string, out: string[]): void {
  const abs = join(REPO_ROOT, path);
  if (!existsSync(abs)) return;
  if (statSync(abs).isDirectory()) {
    for (const name of readdirSync(abs).sort()) {
      if (name === 'node_modules' || name.endsWith('.test.ts')) continue;
      listFiles(join(path, name), out);
    }
  } else out.push(path);
}

/** A digest of everything the build reads from this repository. */
export function sourceDigest(): string {
  const files: string[] = [];
  for (const p of INPUTS) listFiles(p, files);
  const h = createHash('sha256');
  for (const f of files) {
    h.update(relative(REPO_ROOT, join(REPO_ROOT, f)));
    h.update('\0');
    h.update(readFileSync(join(REPO_ROOT, f)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * The unpacked test copy of the Chrome build (folder path), or with
 * `preGranted: false` the build exactly as WXT made it. Builds when the
 * sources changed since the last build.
 * @throws Error when the WXT build fails (its output is in the message).
 */
export async function testExtension(options: { preGranted?: boolean } = {}): Promise<string> {
  const { out, copy } = await build();
  return options.preGranted === false ? join(out, 'chrome-mv3') : copy;
}

async function build(): Promise<{ out: string; copy: string }> {
  const digest = sourceDigest();
  const base = join(tmpdir(), 'sotto-e2e-extension');
  const out = join(base, digest);
  const copy = join(base, `${digest}-test`);
  mkdirSync(base, { recursive: true });
  if (existsSync(join(copy, 'manifest.json'))) return { out, copy };
  // One build at a time across test files; the second finds the first's result.
  const script = join(REPO_ROOT, 'e2e/browser/support/build-extension.mjs');
  const shell = `test -f "$4/manifest.json" || node "$1" "$2" "$3" "$4" "$5"`;
  const child = spawn(
    'flock',
    [join(base, 'lock'), 'sh', '-c', shell, 'sh', script, REPO_ROOT, out, copy, TEST_ORIGIN_GRANT],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0 || !existsSync(join(copy, 'manifest.json'))) {
    throw new Error(`extension build failed:\n${output}`);
  }
  return { out, copy };
}
