/**
 * The sigstore-conformance bundle-verify cases (../shared/vectors/sigstore-conformance/
 * bundle-verify/, see its README): each case is run through `sotto sigstore verify-bundle`
 * with the arguments the suite's runner would pass (docs/cli_protocol.md). A case whose
 * name ends in `_fail` must be refused (exit 1), every other must verify (exit 0). Two
 * cases also run as a real subprocess, through `bin/sotto.js`, to prove the entry point.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSigstoreVerifyBundle } from '../../src/cli/sigstore-verify-bundle';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SUITE = join(ROOT, '../shared/vectors/sigstore-conformance/bundle-verify');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

const cases = readdirSync(SUITE, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function argsFor(name: string): string[] {
  const dir = join(SUITE, name);
  const file = (f: string) => join(dir, f);
  const args = ['--bundle', file('bundle.sigstore.json')];
  if (existsSync(file('key.pub'))) args.push('--key', file('key.pub'));
  else {
    const read = (f: string, d: string) =>
      existsSync(file(f)) ? readFileSync(file(f), 'utf8').trim() : d;
    args.push('--certificate-identity', read('identity', DEFAULT_IDENTITY));
    args.push('--certificate-oidc-issuer', read('issuer', DEFAULT_ISSUER));
  }
  if (existsSync(file('trusted_root.json'))) args.push('--trusted-root', file('trusted_root.json'));
  args.push(existsSync(file('artifact')) ? file('artifact') : join(SUITE, 'a.txt'));
  return args;
}

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await runSigstoreVerifyBundle(args, {
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err };
}

describe('sigstore-conformance bundle-verify', () => {
  it('has the cases the vectors README lists', () => {
    expect(cases.length).toBe(13);
  });
  it.each(cases)('%s', async (name) => {
    const r = await run(argsFor(name));
    if (name.endsWith('_fail')) {
      expect(r.code, r.out).toBe(1);
      expect(r.err).toMatch(/^refused: /);
    } else {
      expect(r.code, r.err).toBe(0);
    }
  });
  it.each(cases)('%s, with the artefact given as sha256:DIGEST', async (name) => {
    const args = argsFor(name);
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256')
      .update(readFileSync(args.at(-1)!))
      .digest('hex');
    const r = await run([...args.slice(0, -1), `sha256:${digest}`]);
    expect(r.code, r.err).toBe(name.endsWith('_fail') ? 1 : 0);
  });
  it('refuses a happy-path bundle for another identity, issuer or artefact', async () => {
    const good = argsFor('happy-path-v0.3');
    const at = (flag: string) => good.indexOf(flag) + 1;
    const swap = (i: number, v: string) => good.map((a, j) => (j === i ? v : a));
    const id = await run(swap(at('--certificate-identity'), `${DEFAULT_IDENTITY}x`));
    expect(id.err).toMatch(/identity/);
    const iss = await run(swap(at('--certificate-oidc-issuer'), 'https://accounts.google.com'));
    expect(iss.err).toMatch(/issuer/);
    const other = await run(swap(good.length - 1, join(SUITE, 'README.md')));
    expect([id.code, iss.code, other.code]).toEqual([1, 1, 1]);
  });
  it('speaks sha256:DIGEST for DSSE subjects and refuses a wrong digest', async () => {
    const args = argsFor('happy-path-intoto-in-dsse-v3');
    const a = readFileSync(args.at(-1)!);
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(a).digest('hex');
    expect((await run([...args.slice(0, -1), `sha256:${digest}`])).code).toBe(0);
    const wrong = (await run([...args.slice(0, -1), `sha256:${'0'.repeat(64)}`])).err;
    expect(wrong).toMatch(/artifact/);
  });
  it('exits 2 on usage errors (both --key and an identity, no artefact)', async () => {
    const args = argsFor('managed-key-happy-path');
    expect(
      (await run([...args.slice(0, -1), '--certificate-identity', 'x', args.at(-1)!])).code,
    ).toBe(2);
    expect((await run(args.slice(0, -1))).code).toBe(2);
  });
});

describe('sotto sigstore verify-bundle as a process', () => {
  function sotto(args: string[]): Promise<number> {
    return new Promise((resolve) => {
      execFile(
        'node',
        ['protocol/bin/sotto.js', 'sigstore', 'verify-bundle', ...args],
        { cwd: ROOT },
        (err) => resolve(err ? (typeof err.code === 'number' ? err.code : -1) : 0),
      );
    });
  }
  it('exits 0 for a verified bundle and 1 for a refused one', async () => {
    const [ok, refused] = await Promise.all([
      sotto(argsFor('rekor2-dsse-happy-path')),
      sotto(argsFor('signature-mismatch_fail')),
    ]);
    expect([ok, refused]).toEqual([0, 1]);
  });
});
