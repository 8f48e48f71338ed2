/**
 * The `dev` platform's MEASUREMENT: SHA-384 over the enclave's code bundle (the
 * enclave's and protocol's non-test sources) and the lockfile, so a changed line
 * of code or a changed dependency changes the measurement, as it would in a VM image.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const CODE_DIRS = ['enclave/src', 'protocol/src'];
const LOCKFILE = 'package-lock.json';

async function listFiles(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

function lengthPrefixed(b: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64BE(BigInt(b.length));
  return Buffer.concat([len, b]);
}

/** @param repoRoot the repository root (the folder holding `enclave/` and `package-lock.json`). */
export async function measureCodeBundle(repoRoot: string): Promise<Uint8Array> {
  const files = (await Promise.all(CODE_DIRS.map((d) => listFiles(repoRoot, d)))).flat();
  files.sort();
  files.push(LOCKFILE);
  const h = createHash('sha384');
  for (const f of files) {
    h.update(lengthPrefixed(Buffer.from(relative(repoRoot, join(repoRoot, f)))));
    h.update(lengthPrefixed(await readFile(join(repoRoot, f))));
  }
  return new Uint8Array(h.digest());
}
