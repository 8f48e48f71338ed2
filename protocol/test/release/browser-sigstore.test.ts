/**
 * Sigstore verification in a browser-like realm: protocol/src/release/ bundled by esbuild
 * for `platform: 'browser'` with the aliases the extension build uses
 * (protocol/browser-aliases.mjs: Node's `crypto` and `util` -> the @noble shims), refusing
 * every other Node builtin, then run in a `vm` context holding only Web globals. Every
 * sigstore-conformance bundle-verify case must give the same verdict there as in Node.
 * (The built extension's service worker runs the same code: extension/test/.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BROWSER_ALIASES } from '../../browser-aliases.mjs';
import type * as Entry from './browser-entry';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SUITE = join(ROOT, '../shared/vectors/sigstore-conformance/bundle-verify');
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

const browserOnly: Plugin = {
  name: 'browser-aliases',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const alias = (BROWSER_ALIASES as Record<string, string>)[args.path];
      if (alias) return { path: alias };
      const bare = args.path.replace(/^node:/, '');
      if (args.path.startsWith('node:') || BUILTINS.has(bare)) {
        return { errors: [{ text: `Node builtin "${args.path}" imported by ${args.importer}` }] };
      }
      return undefined;
    });
  },
};

async function realm() {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./browser-entry.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'Release',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [browserOnly],
  });
  const ctx = vm.createContext({
    crypto: globalThis.crypto,
    TextEncoder,
    TextDecoder,
    atob,
    btoa,
    console,
  });
  vm.runInContext(out.outputFiles[0]!.text, ctx);
  return ctx as vm.Context & {
    Release: typeof Entry;
  };
}

describe('Sigstore verification in a browser realm', () => {
  it('has no Node globals but the Buffer polyfill, and gives every conformance verdict', async () => {
    const ctx = await realm();
    expect(vm.runInContext('typeof process + typeof require', ctx)).toBe('undefinedundefined');
    const verdicts: Record<string, string> = {};
    const names = readdirSync(SUITE, { withFileTypes: true }).filter((d) => d.isDirectory());
    for (const { name } of names) {
      const dir = join(SUITE, name);
      const read = (f: string) => readFileSync(join(dir, f), 'utf8');
      const artifact = new Uint8Array(
        readFileSync(
          existsSync(join(dir, 'artifact')) ? join(dir, 'artifact') : join(SUITE, 'a.txt'),
        ),
      );
      try {
        const v = ctx.Release.verifySigstoreBundle(
          read('bundle.sigstore.json'),
          { bytes: artifact },
          {
            ...(existsSync(join(dir, 'trusted_root.json')) && {
              trustedRoot: JSON.parse(read('trusted_root.json')),
            }),
            ...(existsSync(join(dir, 'key.pub')) && { publicKey: read('key.pub') }),
          },
        );
        const ok =
          existsSync(join(dir, 'key.pub')) ||
          (v.signer.subjectAlternativeName === IDENTITY && v.signer.issuer === ISSUER);
        verdicts[name] = ok ? 'verified' : 'refused';
      } catch (e) {
        verdicts[name] = `refused`;
        expect((e as { check?: string }).check, name).toBeTypeOf('string');
      }
    }
    const expected = Object.fromEntries(
      Object.keys(verdicts).map((n) => [n, n.endsWith('_fail') ? 'refused' : 'verified']),
    );
    expect(verdicts).toEqual(expected);
    expect(Object.keys(verdicts)).toHaveLength(13);
  });
});
