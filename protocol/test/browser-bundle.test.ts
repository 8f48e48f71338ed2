/**
 * Browser-safety proof for the protocol core (issue 2, item 8):
 * 1. `protocol/src/index.ts` bundles with esbuild for `platform: 'browser'`,
 *    `format: 'esm'`, and nothing resolves to a Node builtin (`node:*` or a
 *    bare builtin name): a plugin turns each into a build error.
 * 2. That ESM bundle runs in a `vm` context holding only Web globals
 *    (WebCrypto, TextEncoder/Decoder, Web Streams, atob/btoa, timers; no
 *    `process`, `require`; `Buffer` only as the `buffer` package installs it), as in a web worker or an MV3 service
 *    worker, and carries a real exchange: Binary HTTP inside chunked and
 *    one-shot OHTTP, a streamed response, sealed history and a backup.
 * 3. A static check: no file under protocol/src outside cli/ and node/ (the Node-only
 *    platform code the enclave and the CLI install, e.g. OpenSSL AES-GCM) imports a Node
 *    builtin, and none imports node/ (tests, `*.test.ts`, are not part of the package and
 *    are skipped).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build, type Plugin, transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BROWSER_ALIASES } from '../browser-aliases.mjs';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

function isNodeBuiltin(spec: string): boolean {
  if (spec.startsWith('node:')) return true;
  // builtinModules lists subpaths too (`fs/promises`); `buffer/index.js` is the npm package.
  return BUILTINS.has(spec);
}

/** Fails the build on any import of a Node builtin. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      // @sigstore/*'s `crypto` and `util` -> the @noble shims, as the extension build does.
      const alias = (BROWSER_ALIASES as Record<string, string>)[args.path];
      if (alias) return { path: alias };
      if (!isNodeBuiltin(args.path)) return undefined;
      return {
        errors: [
          { text: `Node builtin "${args.path}" imported by ${relative(SRC, args.importer)}` },
        ],
      };
    });
  },
};

async function bundle(entry: string, format: 'esm' | 'iife', globalName?: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format,
    ...(globalName ? { globalName } : {}),
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  expect(result.errors).toEqual([]);
  return result.outputFiles[0]!.text;
}

/** A realm with the globals a web worker has, and none that only Node has. */
function workerLikeContext(): vm.Context {
  return vm.createContext({
    crypto: globalThis.crypto,
    TextEncoder,
    TextDecoder,
    ReadableStream,
    WritableStream,
    TransformStream,
    atob,
    btoa,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    console,
  });
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('protocol core is browser-safe', () => {
  it('the plugin does refuse Node builtins', async () => {
    await expect(
      build({
        stdin: { contents: "import { readFileSync } from 'node:fs'; import 'path'; readFileSync;" },
        bundle: true,
        platform: 'browser',
        format: 'esm',
        write: false,
        logLevel: 'silent',
        plugins: [noNodeBuiltins],
      }),
    ).rejects.toThrow(/Node builtin "node:fs"[\s\S]*Node builtin "path"/);
  });

  it('bundles for the browser as ESM with no Node builtin, and runs with only Web globals', async () => {
    const esm = await bundle(join(SRC, 'index.ts'), 'esm');
    expect(esm).toContain('xchacha');
    // Run that exact ESM bundle as a classic script (vm modules need a Node flag).
    const script = (await transform(esm, { format: 'iife', globalName: 'Sotto', target: 'es2022' }))
      .code;
    const scenario = await bundle(
      fileURLToPath(new URL('./browser/worker-scenario.ts', import.meta.url)),
      'iife',
      'Scenario',
    );
    const ctx = workerLikeContext();
    vm.runInContext(script, ctx, { filename: 'sotto-protocol.js' });
    vm.runInContext(scenario, ctx, { filename: 'worker-scenario.js' });
    const out = (await vm.runInContext('Scenario.run(Sotto)', ctx)) as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(out))).toEqual({
      // Buffer is the `buffer` package's, installed for @sigstore (release/shim/buffer-global.ts).
      globals: { process: 'undefined', require: 'undefined', Buffer: 'function' },
      request: 'POST /v1/chat/completions content-type {"model":"m","stream":true,"messages":[]}',
      response: {
        status: 200,
        headers: [['content-type', 'text/event-stream']],
        body: 'data: {"t":"Hel"}\n\ndata: {"t":"lo"}\n\ndata: [DONE]\n\n',
        trailers: [['x-finish', 'stop']],
      },
      oneShotStatus: 204,
      xwingStatus: 204,
      record: { title: 'hello', events: 3 },
      replay: 'DECRYPT_FAILED',
      wrongPasskey: 'LOCKED',
      testOnlyHook: 'CONFIGURATION',
      backup: 'export',
    });
  });

  it('no file under protocol/src outside cli/ and node/ imports a Node builtin, or node/', () => {
    const importRe =
      /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
    const offenders: string[] = [];
    let checked = 0;
    for (const file of tsFiles(SRC)) {
      const rel = relative(SRC, file).split('\\').join('/');
      if (rel.startsWith('cli/') || rel.startsWith('node/') || rel.endsWith('.test.ts')) continue;
      checked++;
      for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
        if (isNodeBuiltin(m[1]!) || /(^|\/)node\//.test(m[1]!)) offenders.push(`${rel}: ${m[1]}`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });
});
