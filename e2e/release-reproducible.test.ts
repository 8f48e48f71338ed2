/**
 * `npm run release` is reproducible: the same commit, copied into two folders with
 * different names (and so different absolute paths), built by two processes, gives
 * byte-identical files — the artefact, the statement and the checksums. A one-byte
 * change in the enclave's code changes the artefact and the dev measurement, so the
 * comparison can fail. Then the statement is signed with `sotto release sign --key`
 * and verifies for the artefact it names, under that key.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyRelease, verifySigstoreBundle } from '@sotto/protocol';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const MODEL = resolve(ROOT, '../shared/models/stories260K.gguf');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const INPUTS = [
  'package.json',
  'package-lock.json',
  'enclave/package.json',
  'enclave/src',
  'protocol/package.json',
  'protocol/src',
  'protocol/bin',
];
const tmp = mkdtempSync(join(tmpdir(), 'sotto-release-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function checkout(name: string): string {
  const dir = join(tmp, name);
  for (const p of INPUTS) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  return dir;
}

function run(cmd: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      cmd,
      { cwd: ROOT, env: { ...process.env, ...env } },
      (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

function release(dir: string) {
  return run(['--import', 'tsx', 'scripts/release.ts'], {
    SOTTO_RELEASE_ROOT: dir,
    SOTTO_RELEASE_OUT: join(dir, 'out'),
    SOTTO_RELEASE_COMMIT: COMMIT,
    SOTTO_RELEASE_MODEL: MODEL,
    SOTTO_RELEASE_CONTEXT_SIZE: '512',
  });
}

function files(dir: string): Record<string, string> {
  const out = join(dir, 'out');
  return Object.fromEntries(
    readdirSync(out)
      .sort()
      .map((f) => [f, readFileSync(join(out, f)).toString('base64')]),
  );
}

describe('npm run release', () => {
  it('gives byte-identical files from two folders, and different ones after a code change', async () => {
    const a = checkout('first-checkout');
    const b = checkout('another/deeper/checkout');
    const c = checkout('changed');
    appendFileSync(join(c, 'enclave/src/config.ts'), '\n');
    const results = await Promise.all([release(a), release(b), release(c)]);
    for (const r of results) expect(r.code, r.out).toBe(0);
    const fa = files(a);
    expect(Object.keys(fa)).toEqual([
      'SHA256SUMS',
      'release.intoto.json',
      'sotto-enclave-0.1.0.tar',
    ]);
    expect(files(b)).toEqual(fa);
    const fc = files(c);
    expect(fc['sotto-enclave-0.1.0.tar']).not.toBe(fa['sotto-enclave-0.1.0.tar']);
    expect(fc['release.intoto.json']).not.toBe(fa['release.intoto.json']);
    const statement = JSON.parse(
      Buffer.from(fa['release.intoto.json']!, 'base64').toString('utf8'),
    );
    expect(statement.predicate).toMatchObject({
      version: '0.1.0',
      sourceCommit: COMMIT,
      model: { name: 'stories260K.gguf', contextSize: 512 },
    });
  }, 120_000);

  it('signs with a managed key, and the bundle verifies for the artefact under that key', async () => {
    const dir = checkout('signed');
    expect((await release(dir)).code).toBe(0);
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyFile = join(tmp, 'release-key.pem');
    writeFileSync(keyFile, key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    const out = join(dir, 'out');
    const signed = await run(['protocol/bin/sotto.js', 'release', 'sign', '--key', keyFile], {
      SOTTO_RELEASE_OUT: out,
    });
    expect(signed.code, signed.out).toBe(0);
    // Unlogged (a local release), so not through verify-bundle, which requires a log entry.
    const bundle = readFileSync(join(out, 'release.sigstore.json'), 'utf8');
    const publicKey = readFileSync(join(out, 'release.pub.pem'), 'utf8');
    const opts = { publicKey, requireLog: false };
    const tar = new Uint8Array(readFileSync(join(out, 'sotto-enclave-0.1.0.tar')));
    expect(verifySigstoreBundle(bundle, { bytes: tar }, opts).dsse?.payloadType).toBe(
      'application/vnd.in-toto+json',
    );
    expect(() => verifySigstoreBundle(bundle, { bytes: tar.subarray(1) }, opts)).toThrow(
      /artifact/,
    );
    expect(
      verifyRelease(bundle, { managedKeys: [publicKey] }).statement.predicate.sourceCommit,
    ).toBe(COMMIT);
  }, 120_000);
});
